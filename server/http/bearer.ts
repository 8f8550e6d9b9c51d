/** The token of `Authorization: Bearer <token>`, if any. */
export function bearerToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth !== "string") return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
}
