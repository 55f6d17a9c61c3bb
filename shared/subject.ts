/**
 * Subject templates with the variables cameras use (seed 003: %Camera_Name%, %Event_Type%) plus the
 * site and camera fields AlertDesk knows, so a test renders the subject the way the camera would.
 */
export const SUBJECT_VARIABLES = [
  'Camera_Name',
  'Event_Type',
  'Site_Name',
  'Customer',
  'Camera_Location',
  'Camera_IP',
  'Camera_Model',
  'Vendor',
  'Serial',
  'Date',
  'Time',
] as const;
export type SubjectVariable = (typeof SUBJECT_VARIABLES)[number];

export type SubjectValues = Partial<Record<SubjectVariable, string>>;

export interface RenderedSubject {
  text: string;
  /** Variables written in the template that AlertDesk does not know. */
  unknown: string[];
}

const VARIABLE = /%([A-Za-z_]+)%/g;

export function renderSubject(template: string, values: SubjectValues): RenderedSubject {
  const unknown: string[] = [];
  const text = template.replace(VARIABLE, (match, name: string) => {
    const key = SUBJECT_VARIABLES.find((v) => v.toLowerCase() === name.toLowerCase());
    if (!key) {
      unknown.push(match);
      return match;
    }
    return values[key] ?? '';
  });
  // A subject is one header line.
  return { text: text.replace(/[\r\n]+/g, ' ').trim(), unknown };
}

export const DEFAULT_SUBJECT_TEMPLATE = '%Site_Name% – %Camera_Name% – %Event_Type%';

export function sampleValues(now = new Date()): Pick<SubjectValues, 'Event_Type' | 'Date' | 'Time'> {
  return {
    Event_Type: 'Motion detected',
    Date: now.toISOString().slice(0, 10),
    Time: now.toTimeString().slice(0, 8),
  };
}
