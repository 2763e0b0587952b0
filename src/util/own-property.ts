// Sets a property from untrusted input: a key named "__proto__" would otherwise replace the object's
// prototype instead of becoming a property (attribute names, header names and resource keys are data).
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
