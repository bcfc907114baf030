// Exit codes, k6-style: 0 all good, 1 a threshold failed, 2 bad input or an error.
export const ExitCode = { OK: 0, THRESHOLDS_FAILED: 1, BAD_INPUT: 2 } as const;
