// `lease run`'s own exit statuses, apart from lease-run.ts so the command's help can name them without
// loading it.
export const EXIT_NO_LEASE = 75;
export const EXIT_REVOKED = 76;
export const EXIT_UNREACHABLE = 69;
