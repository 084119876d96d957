// Key names as @web/test-runner-commands' sendKeys takes them: puppeteer's US keyboard layout, where
// 'Space', 'KeyA' or 'Digit1' name a key by its code. The DevTools protocol knows all of them; WebDriver
// (classic and BiDi) wants the character such a key types, and names only the keys that type none.
import { _keyDefinitions, type KeyInput } from 'puppeteer-core/internal/common/USKeyboardLayout.js';

/** The character the named key types ('Space' → ' ', 'KeyA' → 'a'), else the name itself ('Enter'). */
export function typedKey(name: string): string {
  if ([...name].length === 1) return name;
  const typed = _keyDefinitions[name as KeyInput]?.key;
  return typed !== undefined && [...typed].length === 1 ? typed : name;
}
