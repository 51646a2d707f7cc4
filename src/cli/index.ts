export {
  type BackendRow,
  type CheckRow,
  type DoctorReport,
  runDoctor,
  type SettingRow,
  type Verdict,
} from './doctor.js';
export { renderDoctorReport } from './render.js';
