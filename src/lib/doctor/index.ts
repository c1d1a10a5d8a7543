/** "Check my Coral": the self-test script shared by the Devices page (worker) and `reef doctor`. */
export { runSelfTest, CLASSIFY_SCORE_TOLERANCE, KEYPOINT_TOLERANCE, type DoctorHost } from './self-test.ts';
export { doctorFile, EXTRA_FILES, SELF_TEST_FILES, catalogTitleOf, type DoctorFileSource } from './files.ts';
export { PUBLISHED_LATENCY, LATENCY_FACTOR_OK, publishedLatency, type PublishedLatency } from './published-latency.ts';
export {
  outcomeOf,
  reportText,
  summaryOf,
  type DeviceIdentity,
  type DoctorReport,
  type StepId,
  type StepResult,
  type Verdict,
} from './report.ts';
export { reportFileName, reportZip, TRACE_FILE } from './report-zip.ts';
