/**
 * TEMPORARY shim, to be deleted at merge: `studySize` (src/study/size.ts) and `parseStudyBase`
 * (src/study/cells.ts) as helper A adds them on another branch, implemented minimally so the page
 * compiles and its tests run now. At merge, import `studySize`/`StudySize` from
 * src/study/size.ts and `parseStudyBase` from src/study/cells.ts instead (web/views/sweep/studyText.ts).
 */
import { StudyError } from '../../src/study/cells.js';
import { formatIssues } from '../../src/study/problems.js';
import { axisLabels, type Study, StudySchema } from '../../src/study/schema.js';
import { maxAgents } from '../../src/sweep/plan.js';

export interface StudySize {
  cells: number;
  fleetRuns: number;
  runs: number;
  agentSteps: number;
}

/** The work a study asks for, from its base study in O(axes) time, before anything is expanded. */
export function studySize(study: Study): StudySize {
  const cells = study.axes.reduce((n, a) => n * axisLabels(a).length, 1);
  const fleetRuns = cells * study.samples * study.replicates;
  const runs = fleetRuns * study.policies.length;
  return { cells, fleetRuns, runs, agentSteps: runs * maxAgents(study) * study.steps };
}

/** The base study (defaults filled in), validated without expanding its grid; throws StudyError. */
export function parseStudyBase(json: unknown): Study {
  const parsed = StudySchema.safeParse(json, { reportInput: true });
  if (!parsed.success) throw new StudyError(formatIssues(parsed.error.issues));
  return parsed.data;
}
