/** Remote first issuance and re-issuance of expired keys (portal extension), and the FaceVerifier interface. */
export { remoteIssuance, remoteOf, faceVerifierFrom, type RemoteFeatureOptions } from './feature.ts';
export { OperatorQueueVerifier, type FaceVerifier, type FaceCheckRequest, type FaceVerdict, type FaceDecision, type CapturedFrame } from './face/verifier.ts';
export { HttpFaceVerifier, type HttpFaceVerifierOptions } from './face/http-verifier.ts';
export { recordDecision } from './face/decide.ts';
export { sweepRemote, type SweepReport } from './retention.ts';
export { resolveRemoteOptions, type RemoteOptions, type ResolvedRemoteOptions, type FaceVerifierSettings } from './options.ts';
