import type { PresetNotice } from '../../../shared/presets.ts';

interface PresetChoice {
  id: string;
  label: string;
  host: string;
  port: number;
  notices: PresetNotice[];
}

/**
 * The provider presets a form starts from, as buttons (one pressed), and "Custom" last; a preset
 * with a blocking notice is marked. Choosing one is the form's business (`onPick`).
 */
export function PresetGrid<P extends PresetChoice>(p: {
  label: string;
  presets: readonly P[];
  selected: string | null;
  onPick: (preset: P) => void;
  onCustom: () => void;
  customHint: string;
  /** What the button shows for a preset without a host (a relay of the user's own). */
  noHost?: string;
}) {
  return (
    <div className="preset-grid" role="group" aria-label={p.label}>
      {p.presets.map((preset) => (
        <button
          key={preset.id}
          type="button"
          className={`preset${p.selected === preset.id ? ' active' : ''}${preset.notices.some((n) => n.level === 'blocker') ? ' blocked' : ''}`}
          aria-pressed={p.selected === preset.id}
          onClick={() => p.onPick(preset)}
        >
          <strong>{preset.label}</strong>
          <span>
            {preset.host || p.noHost} · {preset.port}
          </span>
        </button>
      ))}
      <button
        type="button"
        className={`preset${p.selected === null ? ' active' : ''}`}
        aria-pressed={p.selected === null}
        onClick={p.onCustom}
      >
        <strong>Custom</strong>
        <span>{p.customHint}</span>
      </button>
    </div>
  );
}
