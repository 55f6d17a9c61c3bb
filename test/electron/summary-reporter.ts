import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/**
 * The last line `npm test` prints: whether the Electron launch test really opened the app window,
 * or was skipped (and why), so a green run cannot hide that the window was never opened.
 */
export default class SummaryReporter implements Reporter {
  private readonly skipped: string[] = [];
  private passed = 0;

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status === 'skipped')
      this.skipped.push(
        test.annotations.find((a) => a.type === 'skip')?.description ?? `${test.title} (no reason given)`,
      );
    else if (result.status === 'passed') this.passed++;
  }

  onEnd(result: FullResult): void {
    const launch = this.skipped.find((s) => s.includes('Electron launch test'));
    if (result.status !== 'passed')
      console.log(`\nnpm test: FAILED in the Electron tests (${result.status}).`);
    else if (launch)
      console.log(
        `\nnpm test: everything passed, but the Electron launch test was SKIPPED, so the app window was never opened: ${launch.replace(/^SKIPPED: Electron launch test — /, '')}`,
      );
    else
      console.log(
        `\nnpm test: everything passed, including the Electron launch test (the app window opened).`,
      );
  }

  printsToStdio(): boolean {
    return true;
  }
}
