// The demo's forms have text inputs only: FormData.get answers a string for them (a File only for
// a file input, null for a name the form lacks).
export function textField(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}
