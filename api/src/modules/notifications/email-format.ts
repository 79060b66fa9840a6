import type { EmailLocale } from '@vitrine/contracts';

/** The BCP 47 tag each template language is formatted with. */
const LOCALE_TAGS: Record<EmailLocale, string> = { ko: 'ko-KR', en: 'en-US' };

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** An http(s) URL as given, or `#` for anything else (`javascript:` and the like never reach an href). */
export function safeHref(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : '#';
  } catch {
    return '#';
  }
}

/** Header values never carry a line break (a subject cannot smuggle in another header). */
export const singleLine = (text: string) => text.replace(/[\r\n\t]+/g, ' ').trim();

/** How many minor units make one major unit of a currency (KRW 0, USD 2), per ISO 4217 as Intl knows it. */
function fractionDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 0;
}

/**
 * An amount in the currency's smallest unit, as a shopper of that language reads it: `12,900원` in
 * Korean, `₩12,900` in English, `$12.90` for 1290 USD cents.
 */
export function formatMoney(amount: number, currency: string, locale: EmailLocale): string {
  try {
    const major = amount / 10 ** fractionDigits(currency);
    if (locale === 'ko' && currency === 'KRW') return `${new Intl.NumberFormat('ko-KR').format(major)}원`;
    return new Intl.NumberFormat(LOCALE_TAGS[locale], { style: 'currency', currency }).format(major);
  } catch {
    // An unknown currency code: still show the number rather than fail the email.
    return `${amount} ${currency}`;
  }
}

/**
 * A moment in the shopper's language and time zone, with the zone spelled out:
 * `2026년 11월 24일 화 18:05 (한국 표준시)` or `Tue, November 24, 2026 at 18:05 (Korean Standard Time)`.
 */
export function formatDateTime(iso: string, locale: EmailLocale, timeZone: string): string {
  const at = new Date(iso);
  const tag = LOCALE_TAGS[locale];
  const when = new Intl.DateTimeFormat(tag, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(at);
  const zone = new Intl.DateTimeFormat(tag, { timeZone, timeZoneName: 'long' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value;
  return zone ? `${when} (${zone})` : when;
}
