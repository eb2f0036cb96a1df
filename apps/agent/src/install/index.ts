/** `qoltanba agent install | uninstall | doctor`: the agent's place in the user's browsers and session. */
export { installAgent, uninstallAgent, readManifest, type InstallOptions, type InstallReport, type UninstallReport, type InstallManifest } from './install.ts';
export { runDoctor, formatDoctorReport, type DoctorReport, type DoctorCheck, type CheckId } from './doctor.ts';
export { probeTsa, type TsaProbe } from '../tsa/probe.ts';
export { doctorMessages } from './messages.ts';
export { userPaths, type UserPaths } from './paths.ts';
export { findNssDatabases, listCertificates, NICKNAME_PREFIX, type NssDatabase } from './nss.ts';
export { systemdUnit, desktopEntry, autostartProgram, type Autostart } from './autostart.ts';
