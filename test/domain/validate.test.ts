import { UsageError } from '../../src/domain/core/errors.js';
import { displayName, domain, email, guid, isDomain, isEmail, oneOf, partnerId, positiveInt } from '../../src/domain/core/validate.js';

/** The error a validator throws: a UsageError (exit 2) with one line of message. */
function refusal(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const err = e as UsageError;
    expect(err.exitCode).toBe(2);
    expect(err.message).not.toMatch(/[\r\n]/);
    return err;
  }
  throw new Error('expected the value to be refused');
}

const label = (c: string, n: number) => c.repeat(n);

describe('email', () => {
  test('is trimmed and lower-cased, so one user has one spelling', () => {
    expect(email('  Ada.Lovelace@Fabrikam.COM ')).toBe('ada.lovelace@fabrikam.com');
    expect(isEmail('ADA@FABRIKAM.COM')).toBe(true);
  });

  test('accepts the usual local-part characters', () => {
    expect(email("o'brien+ops@contoso.co.uk")).toBe("o'brien+ops@contoso.co.uk");
    expect(email('first.last@sub.contoso-eu.com')).toBe('first.last@sub.contoso-eu.com');
  });

  test.each([
    ['no at sign', 'ada.fabrikam.com'],
    ['no domain', 'ada@'],
    ['no local part', '@fabrikam.com'],
    ['no top-level domain', 'ada@localhost'],
    ['two at signs', 'ada@@fabrikam.com'],
    ['a space inside', 'ada lovelace@fabrikam.com'],
    ['a control character inside', 'ada\u0007@fabrikam.com'],
    ['a newline inside', 'ada\n@fabrikam.com'],
    ['a leading dot', '.ada@fabrikam.com'],
    ['two dots in a row', 'ada..l@fabrikam.com'],
    ['a label starting with a hyphen', 'ada@-fabrikam.com'],
    ['a numeric top-level domain', 'ada@10.0.0.1'],
    ['an empty string', ''],
  ])('refuses %s', (_what, value) => {
    expect(isEmail(value)).toBe(false);
    refusal(() => email(value));
  });

  test('domain labels may be 63 characters, not 64', () => {
    expect(email(`ada@${label('a', 63)}.com`)).toBe(`ada@${label('a', 63)}.com`);
    refusal(() => email(`ada@${label('a', 64)}.com`));
  });

  test('an address may be 254 characters long, not 255', () => {
    const domain189 = `${label('b', 63)}.${label('c', 63)}.${label('d', 57)}.com`;
    const at254 = `${label('a', 64)}@${domain189}`;
    expect(at254).toHaveLength(254);
    expect(email(at254)).toBe(at254);
    const at255 = `${label('a', 65)}@${domain189}`;
    expect(isEmail(at255)).toBe(false);
    refusal(() => email(at255));
  });

  test('the message names the value and what is expected, using the caller\'s wording', () => {
    const err = refusal(() => email('nobody', 'acting user (--as)'));
    expect(err.message).toContain('acting user (--as)');
    expect(err.message).toContain('"nobody"');
    expect(err.message).toContain('name@example.com');
  });

  test('a very long bad value is shortened in the message', () => {
    const err = refusal(() => email('x'.repeat(5000)));
    expect(err.message.length).toBeLessThan(300);
  });
});

describe('domain', () => {
  test('is trimmed and lower-cased', () => {
    expect(domain('  Contoso.COM ')).toBe('contoso.com');
    expect(isDomain('CONTOSO.COM')).toBe(true);
  });

  test('a trailing dot (fully qualified form) names the same domain', () => {
    expect(domain('contoso.com.')).toBe('contoso.com');
    expect(isDomain('contoso.com.')).toBe(true);
  });

  test('accepts sub-domains, hyphens and digits inside labels', () => {
    expect(domain('eu-west.mail.contoso2.co.uk')).toBe('eu-west.mail.contoso2.co.uk');
    expect(domain('a.co')).toBe('a.co');
  });

  test('a label may be 63 characters, not 64', () => {
    expect(domain(`${label('a', 63)}.com`)).toBe(`${label('a', 63)}.com`);
    refusal(() => domain(`${label('a', 64)}.com`));
    expect(isDomain(`${label('a', 64)}.com`)).toBe(false);
  });

  test('a name may be 253 characters long, not 254', () => {
    const at253 = `${label('a', 63)}.${label('b', 63)}.${label('c', 63)}.${label('d', 61)}`;
    expect(at253).toHaveLength(253);
    expect(domain(at253)).toBe(at253);
    const at254 = `${label('a', 63)}.${label('b', 63)}.${label('c', 63)}.${label('d', 62)}`;
    refusal(() => domain(at254));
  });

  test.each([
    ['a single label', 'contoso'],
    ['a label starting with a hyphen', '-contoso.com'],
    ['a label ending with a hyphen', 'contoso-.com'],
    ['an empty label', 'contoso..com'],
    ['two trailing dots', 'contoso.com..'],
    ['an underscore', 'con_toso.com'],
    ['a space', 'con toso.com'],
    ['a control character', 'contoso.com\u0000x'],
    ['an IP address', '192.168.0.1'],
    ['a URL', 'https://contoso.com'],
    ['an email address', 'ada@contoso.com'],
    ['an empty string', ''],
  ])('refuses %s', (_what, value) => {
    expect(isDomain(value)).toBe(false);
    refusal(() => domain(value));
  });

  // Internationalised top-level domains are valid DNS names in their ASCII
  // (punycode) form, e.g. .xn--fiqs8s (.中国) for a 21Vianet partner's clients.
  test('accepts an internationalised top-level domain in its punycode form', () => {
    expect(domain('contoso.xn--fiqs8s')).toBe('contoso.xn--fiqs8s');
    expect(email('ada@contoso.xn--fiqs8s')).toBe('ada@contoso.xn--fiqs8s');
  });

  test('accepts punycode labels below the top level', () => {
    expect(domain('xn--bcher-kva.de')).toBe('xn--bcher-kva.de');
  });

  test('the message names the value and gives an example', () => {
    const err = refusal(() => domain('contoso', 'client domain'));
    expect(err.message).toContain('client domain "contoso"');
    expect(err.message).toContain('contoso.com');
  });
});

describe('guid', () => {
  const G = '72f988bf-86f1-41af-91ab-2d7cd011db47';

  test('is lower-cased and trimmed', () => {
    expect(guid(` ${G.toUpperCase()} `)).toBe(G);
  });

  test('braces around it (the registry form) are dropped', () => {
    expect(guid(`{${G}}`)).toBe(G);
    expect(guid(`{${G.toUpperCase()}}`)).toBe(G);
  });

  test.each([
    ['one brace only', `{${G}`],
    ['a closing brace only', `${G}}`],
    ['two pairs of braces', `{{${G}}}`],
    ['a non-hex digit', G.replace('7', 'g')],
    ['one digit short', G.slice(0, -1)],
    ['one digit too many', G + '0'],
    ['hyphens in the wrong places', '72f988bf8-6f1-41af-91ab-2d7cd011db47'],
    ['a name instead of an id', 'contoso.onmicrosoft.com'],
    ['an empty string', ''],
  ])('refuses %s', (_what, value) => {
    refusal(() => guid(value));
  });

  test('the message names the field and shows an example GUID', () => {
    const err = refusal(() => guid('nope', 'tenantId'));
    expect(err.message).toContain('tenantId "nope"');
    expect(err.message).toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  });
});

describe('displayName', () => {
  test('is trimmed and kept as typed otherwise', () => {
    expect(displayName('  Fabrikam Ltd.  ')).toBe('Fabrikam Ltd.');
    expect(displayName('Zoë & Søn (北京)')).toBe('Zoë & Søn (北京)');
  });

  test('is normalised to NFC, so the same name is stored the same way', () => {
    expect(displayName('Zoe\u0308')).toBe('Zo\u00eb');
  });

  test('empty or blank is refused', () => {
    expect(refusal(() => displayName('')).message).toContain('must not be empty');
    expect(refusal(() => displayName(' \t ', 'partner name')).message).toBe('partner name must not be empty');
  });

  test('may be 256 characters long by default, not 257', () => {
    expect(displayName('n'.repeat(256))).toHaveLength(256);
    const err = refusal(() => displayName('n'.repeat(257)));
    expect(err.message).toContain('257');
    expect(err.message).toContain('256');
  });

  // The limit and its message are in characters; a character outside the
  // Basic Multilingual Plane is two UTF-16 code units but still one character.
  test('counts characters, not UTF-16 code units', () => {
    expect(displayName('\u{1F600}'.repeat(200))).toHaveLength(400);
  });

  test('the caller may set a lower maximum', () => {
    expect(displayName('abcde', 'product', 5)).toBe('abcde');
    refusal(() => displayName('abcdef', 'product', 5));
  });

  test.each([
    ['a newline inside', 'Fabrikam\nLtd'],
    ['a carriage return inside', 'Fabrikam\rLtd'],
    ['a tab inside', 'Fabrikam\tLtd'],
    ['a NUL', 'Fabrikam\u0000'],
    ['a terminal escape sequence', '\u001b[31mFabrikam'],
    ['a bell', 'Fab\u0007rikam'],
    ['DEL', 'Fab\u007frikam'],
    ['a line separator', 'Fab\u2028rikam'],
    ['a paragraph separator', 'Fab\u2029rikam'],
  ])('refuses %s', (_what, value) => {
    expect(refusal(() => displayName(value)).message).toContain('control characters');
  });

  // U+0080..U+009F are control characters too (Unicode category Cc); U+009B is
  // the one-byte CSI that some terminals honour like ESC [.
  test('refuses C1 control characters (U+0080..U+009F)', () => {
    expect(refusal(() => displayName('Fab\u009b31mrikam')).message).toContain('control characters');
    expect(refusal(() => displayName('Fab\u0085rikam')).message).toContain('control characters');
  });
});

describe('positiveInt', () => {
  test('accepts whole numbers from 1 to the maximum, as text or number', () => {
    expect(positiveInt('1', 'quantity')).toBe(1);
    expect(positiveInt(' 42 ', 'quantity')).toBe(42);
    expect(positiveInt(7, 'quantity')).toBe(7);
    expect(positiveInt('1000000', 'quantity')).toBe(1_000_000);
    expect(positiveInt('10', 'count', 10)).toBe(10);
  });

  test('leading zeros are still the same number', () => {
    expect(positiveInt('007', 'quantity')).toBe(7);
  });

  test.each([
    ['zero', '0'],
    ['a negative number', '-1'],
    ['a fraction', '1.5'],
    ['a fraction given as a number', 1.5],
    ['exponent notation', '1e3'],
    ['hexadecimal', '0x10'],
    ['a plus sign', '+5'],
    ['words', 'five'],
    ['an empty string', ''],
    ['one more than the maximum', '1000001'],
    ['a number too large to be exact', '99999999999999999999'],
    ['NaN', Number.NaN],
  ])('refuses %s', (_what, value) => {
    const err = refusal(() => positiveInt(value, 'quantity'));
    expect(err.message).toContain('quantity must be a whole number from 1 to 1000000');
  });

  test('the maximum is the caller\'s', () => {
    expect(refusal(() => positiveInt('11', 'count', 10)).message).toBe('count must be a whole number from 1 to 10, not 11');
  });
});

describe('oneOf', () => {
  const ROLES = ['full', 'limited'] as const;

  test('is case-insensitive and trimmed, returning the canonical value', () => {
    expect(oneOf('FULL', ROLES, 'role')).toBe('full');
    expect(oneOf(' Limited ', ROLES, 'role')).toBe('limited');
  });

  test('anything else is refused, naming every allowed value', () => {
    const err = refusal(() => oneOf('admin', ROLES, 'role'));
    expect(err.message).toBe('role must be one of full, limited, not "admin"');
  });

  test('a prefix of an allowed value is not enough', () => {
    refusal(() => oneOf('ful', ROLES, 'role'));
    refusal(() => oneOf('', ROLES, 'role'));
  });
});

describe('partnerId (the Partner ID, formerly MPN ID)', () => {
  test('is an integer of 1 to 10 digits, trimmed', () => {
    expect(partnerId(' 1234567 ')).toBe(1234567);
    expect(partnerId('1')).toBe(1);
    expect(partnerId('9999999999')).toBe(9999999999);
  });

  test.each(['', '0', '00', '-5', '+5', '12.5', '1e6', '12345678901', 'abc', '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', '１２３'])('refuses %j, naming the flag', (v) => {
    expect(refusal(() => partnerId(v, '--mpn-id')).message).toMatch(/^--mpn-id must be your integer Partner ID/);
  });
});
