/** True for a time zone name the runtime knows (IANA, e.g. Asia/Shanghai). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
