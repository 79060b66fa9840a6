import { OrderLine, type EmailLocale, type EmailTemplate } from '@vitrine/contracts';
import { z } from 'zod';
import { escapeHtml, formatDateTime, formatMoney, safeHref, singleLine } from './email-format.js';

const OrderParams = z.object({
  name: z.string(),
  orderId: z.string(),
  items: z.array(OrderLine),
  total: z.number().int(),
  currency: z.string(),
});

/** What each template is rendered from; stored with the email, so a retry renders the same message. */
export const EMAIL_PARAMS = {
  welcome: z.object({ name: z.string() }),
  'order-placed': OrderParams.extend({ expiresAt: z.string() }),
  'payment-reminder': OrderParams.extend({ expiresAt: z.string(), minutesLeft: z.number().int().min(1) }),
  'payment-received': OrderParams.extend({ paidAt: z.string() }),
  'order-expired': OrderParams,
} satisfies Record<EmailTemplate, z.ZodType>;

export type EmailParams = { [T in EmailTemplate]: z.infer<(typeof EMAIL_PARAMS)[T]> };

/** One template with its parameters: the discriminated union every switch below is exhaustive over. */
export type EmailContent = { [T in EmailTemplate]: { template: T; params: EmailParams[T] } }[EmailTemplate];

/** Reads stored parameters back, refusing anything that does not fit the template. */
export function parseEmailContent(template: EmailTemplate, params: unknown): EmailContent {
  return { template, params: EMAIL_PARAMS[template].parse(params) } as EmailContent;
}

export interface RenderContext {
  locale: EmailLocale;
  timeZone: string;
  /** The storefront's public origin, for links (`https://shop.example`). */
  webUrl: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/**
 * The structure both parts are written from. Every string here is plain text (names, product
 * names, sentences); only the HTML renderer turns it into markup, escaping all of it, so no
 * user-provided value can ever become a tag or an attribute.
 */
interface EmailDocument {
  subject: string;
  greeting: string;
  paragraphs: string[];
  facts: { label: string; value: string }[];
  items?: {
    rows: { name: string; detail: string; amount: string; href?: string }[];
    totalLabel: string;
    total: string;
  };
  action?: { label: string; href: string };
}

interface Formatters {
  money: (amount: number) => string;
  when: (iso: string) => string;
  orderUrl: string;
  productUrl: (productId: string) => string;
}

/** An order email's words; the item table is laid out from the order itself. */
type OrderWords = Omit<EmailDocument, 'items'> & { totalLabel: string };
type OrderCopy<P> = (params: P, f: Formatters) => OrderWords;

/** Everything a shopper reads, per language. A new language is one more entry here and in EmailLocale. */
interface Copy {
  signature: string;
  footer: string;
  quantity: (quantity: number, unitPrice: string) => string;
  welcome: (params: EmailParams['welcome'], webUrl: string) => EmailDocument;
  'order-placed': OrderCopy<EmailParams['order-placed']>;
  'payment-reminder': OrderCopy<EmailParams['payment-reminder']>;
  'payment-received': OrderCopy<EmailParams['payment-received']>;
  'order-expired': OrderCopy<EmailParams['order-expired']>;
}

const COPY: Record<EmailLocale, Copy> = {
  ko: {
    signature: 'Vitrine 드림',
    footer: '이 메일은 발신 전용입니다. 주문 관련 문의는 Vitrine 고객센터로 해 주세요.',
    quantity: (quantity, unitPrice) => `${quantity}개 × ${unitPrice}`,
    welcome: ({ name }, webUrl) => ({
      subject: '[Vitrine] 가입을 환영합니다',
      greeting: `${name}님, Vitrine에 오신 것을 환영합니다!`,
      paragraphs: [
        '계정이 만들어졌습니다. 상품 재고는 실시간으로 바뀌니, 마음에 드는 상품을 발견하면 바로 주문해 보세요.',
      ],
      facts: [],
      action: { label: '쇼핑 시작하기', href: webUrl },
    }),
    'order-placed': ({ name, orderId, expiresAt }, f) => ({
      subject: '[Vitrine] 주문이 접수되었습니다',
      greeting: `${name}님, 주문해 주셔서 감사합니다.`,
      paragraphs: [
        `${f.when(expiresAt)}까지 결제를 완료해 주세요. 그때까지 결제되지 않으면 주문은 자동으로 취소되고, 잡아 둔 재고는 다른 고객에게 돌아갑니다.`,
      ],
      facts: [
        { label: '주문번호', value: orderId },
        { label: '결제 기한', value: f.when(expiresAt) },
      ],
      totalLabel: '합계',
      action: { label: '결제하기', href: f.orderUrl },
    }),
    'payment-reminder': ({ name, orderId, total, expiresAt, minutesLeft }, f) => ({
      subject: `[Vitrine] 결제 기한이 ${minutesLeft}분 남았습니다`,
      greeting: `${name}님, 결제 기한이 곧 끝납니다.`,
      paragraphs: [
        `주문하신 상품을 ${f.when(expiresAt)}까지 잡아 두고 있습니다. 지금 결제하지 않으면 주문이 취소됩니다.`,
      ],
      facts: [
        { label: '주문번호', value: orderId },
        { label: '결제 금액', value: f.money(total) },
        { label: '결제 기한', value: f.when(expiresAt) },
      ],
      totalLabel: '합계',
      action: { label: '지금 결제하기', href: f.orderUrl },
    }),
    'payment-received': ({ name, orderId, paidAt }, f) => ({
      subject: '[Vitrine] 결제가 완료되었습니다 (영수증)',
      greeting: `${name}님, 결제가 완료되었습니다.`,
      paragraphs: ['주문해 주셔서 감사합니다. 아래는 이번 결제의 영수증입니다.'],
      facts: [
        { label: '주문번호', value: orderId },
        { label: '결제 일시', value: f.when(paidAt) },
      ],
      totalLabel: '결제 금액',
      action: { label: '주문 보기', href: f.orderUrl },
    }),
    'order-expired': ({ name, orderId }) => ({
      subject: '[Vitrine] 결제 기한이 지나 주문이 취소되었습니다',
      greeting: `${name}님, 주문이 취소되었습니다.`,
      paragraphs: [
        '결제 기한 안에 결제가 확인되지 않아 주문을 취소했습니다. 잡아 두었던 재고는 다시 판매 중입니다.',
        '아직 마음에 있으시면 아래 상품 페이지에서 다시 주문해 주세요.',
      ],
      facts: [{ label: '주문번호', value: orderId }],
      totalLabel: '합계',
    }),
  },
  en: {
    signature: 'The Vitrine team',
    footer: 'This is an automated message; replies to it are not read.',
    quantity: (quantity, unitPrice) => `${quantity} × ${unitPrice}`,
    welcome: ({ name }, webUrl) => ({
      subject: '[Vitrine] Welcome to Vitrine',
      greeting: `Welcome to Vitrine, ${name}!`,
      paragraphs: [
        'Your account is ready. Stock changes live, so when something catches your eye, order it right away.',
      ],
      facts: [],
      action: { label: 'Start shopping', href: webUrl },
    }),
    'order-placed': ({ name, orderId, expiresAt }, f) => ({
      subject: '[Vitrine] We have received your order',
      greeting: `Thank you for your order, ${name}.`,
      paragraphs: [
        `Please pay by ${f.when(expiresAt)}. If it is not paid by then, the order is cancelled automatically and the items we are holding go back on sale.`,
      ],
      facts: [
        { label: 'Order number', value: orderId },
        { label: 'Pay by', value: f.when(expiresAt) },
      ],
      totalLabel: 'Total',
      action: { label: 'Pay now', href: f.orderUrl },
    }),
    'payment-reminder': ({ name, orderId, total, expiresAt, minutesLeft }, f) => ({
      subject: `[Vitrine] ${minutesLeft === 1 ? '1 minute' : `${minutesLeft} minutes`} left to pay for your order`,
      greeting: `${name}, your payment window is about to close.`,
      paragraphs: [
        `We are holding your items until ${f.when(expiresAt)}. If the order is not paid by then, it will be cancelled.`,
      ],
      facts: [
        { label: 'Order number', value: orderId },
        { label: 'Amount due', value: f.money(total) },
        { label: 'Pay by', value: f.when(expiresAt) },
      ],
      totalLabel: 'Total',
      action: { label: 'Pay now', href: f.orderUrl },
    }),
    'payment-received': ({ name, orderId, paidAt }, f) => ({
      subject: '[Vitrine] Payment received: your receipt',
      greeting: `Thank you, ${name}: we have received your payment.`,
      paragraphs: ['Here is the receipt for your order.'],
      facts: [
        { label: 'Order number', value: orderId },
        { label: 'Paid on', value: f.when(paidAt) },
      ],
      totalLabel: 'Amount paid',
      action: { label: 'View your order', href: f.orderUrl },
    }),
    'order-expired': ({ name, orderId }) => ({
      subject: '[Vitrine] Your order was cancelled: the payment window closed',
      greeting: `${name}, your order has been cancelled.`,
      paragraphs: [
        'We did not receive payment in time, so we cancelled the order and released the items we were holding.',
        'If you still want them, you can order again from the product pages below.',
      ],
      facts: [{ label: 'Order number', value: orderId }],
      totalLabel: 'Total',
    }),
  },
};

function buildDocument(content: EmailContent, context: RenderContext): EmailDocument {
  const copy = COPY[context.locale];
  if (content.template === 'welcome') return copy.welcome(content.params, context.webUrl);

  const { params } = content;
  const money = (amount: number) => formatMoney(amount, params.currency, context.locale);
  const f: Formatters = {
    money,
    when: (iso) => formatDateTime(iso, context.locale, context.timeZone),
    orderUrl: `${context.webUrl}/orders/${encodeURIComponent(params.orderId)}`,
    productUrl: (productId) => `${context.webUrl}/products/${encodeURIComponent(productId)}`,
  };
  let written: OrderWords;
  switch (content.template) {
    case 'order-placed':
      written = copy['order-placed'](content.params, f);
      break;
    case 'payment-reminder':
      written = copy['payment-reminder'](content.params, f);
      break;
    case 'payment-received':
      written = copy['payment-received'](content.params, f);
      break;
    case 'order-expired':
      written = copy['order-expired'](content.params, f);
      break;
  }
  const { totalLabel, ...document } = written;
  // Expired orders link each product, so the shopper can order again.
  const linkProducts = content.template === 'order-expired';
  return {
    ...document,
    items: {
      rows: params.items.map((line) => ({
        name: line.name,
        detail: copy.quantity(line.quantity, money(line.price)),
        amount: money(line.price * line.quantity),
        ...(linkProducts ? { href: f.productUrl(line.productId) } : {}),
      })),
      totalLabel,
      total: money(params.total),
    },
  };
}

function toText(document: EmailDocument, copy: Copy): string {
  const sections: string[] = [document.greeting, ...document.paragraphs];
  if (document.facts.length > 0) sections.push(document.facts.map((fact) => `${fact.label}: ${fact.value}`).join('\n'));
  if (document.items) {
    const lines = document.items.rows.map((row) =>
      [`- ${row.name} (${row.detail}): ${row.amount}`, ...(row.href ? [`  ${row.href}`] : [])].join('\n'),
    );
    sections.push([...lines, `${document.items.totalLabel}: ${document.items.total}`].join('\n'));
  }
  if (document.action) sections.push(`${document.action.label}: ${document.action.href}`);
  sections.push(`--\n${copy.signature}\n${copy.footer}`);
  return `${sections.join('\n\n')}\n`;
}

/** Inline styles (mail clients drop <style>); single quotes only, as they sit inside style="…". */
const STYLE = {
  body: "margin:0;padding:0;background:#f4f4f5;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI','Apple SD Gothic Neo','Malgun Gothic',sans-serif;color:#18181b;",
  card: 'max-width:560px;margin:24px auto;background:#ffffff;border-radius:8px;padding:32px;',
  cell: 'padding:8px 0;border-bottom:1px solid #e4e4e7;vertical-align:top;',
  button:
    'display:inline-block;background:#18181b;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600;',
  muted: 'color:#71717a;font-size:13px;',
};

/** The HTML part. Every interpolated value goes through escapeHtml (text) or safeHref (links). */
function toHtml(document: EmailDocument, copy: Copy, locale: EmailLocale): string {
  const e = escapeHtml;
  const parts: string[] = [
    `<h1 style="font-size:20px;margin:0 0 16px;">${e(document.greeting)}</h1>`,
    ...document.paragraphs.map((paragraph) => `<p style="line-height:1.6;margin:0 0 16px;">${e(paragraph)}</p>`),
  ];
  if (document.facts.length > 0) {
    const rows = document.facts
      .map(
        (fact) =>
          `<tr><td style="${STYLE.cell}${STYLE.muted}width:35%;">${e(fact.label)}</td><td style="${STYLE.cell}">${e(fact.value)}</td></tr>`,
      )
      .join('');
    parts.push(`<table role="presentation" width="100%" cellspacing="0" cellpadding="0">${rows}</table>`);
  }
  if (document.items) {
    const rows = document.items.rows
      .map((row) => {
        const name = row.href
          ? `<a href="${e(safeHref(row.href))}" style="color:#18181b;">${e(row.name)}</a>`
          : e(row.name);
        return `<tr><td style="${STYLE.cell}">${name}<br><span style="${STYLE.muted}">${e(row.detail)}</span></td><td style="${STYLE.cell}text-align:right;white-space:nowrap;">${e(row.amount)}</td></tr>`;
      })
      .join('');
    const total = `<tr><td style="padding:12px 0;font-weight:600;">${e(document.items.totalLabel)}</td><td style="padding:12px 0;font-weight:600;text-align:right;white-space:nowrap;">${e(document.items.total)}</td></tr>`;
    parts.push(
      `<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="margin-top:16px;">${rows}${total}</table>`,
    );
  }
  if (document.action) {
    parts.push(
      `<p style="margin:24px 0;"><a href="${e(safeHref(document.action.href))}" style="${STYLE.button}">${e(document.action.label)}</a></p>`,
    );
  }
  parts.push(`<p style="${STYLE.muted}margin-top:32px;">${e(copy.signature)}<br>${e(copy.footer)}</p>`);
  return [
    '<!doctype html>',
    `<html lang="${e(locale)}">`,
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(document.subject)}</title></head>`,
    `<body style="${STYLE.body}"><div style="${STYLE.card}">${parts.join('\n')}</div></body>`,
    '</html>',
  ].join('\n');
}

/** Renders one email in the given language and time zone: subject, plain-text part and HTML part. */
export function renderEmail(content: EmailContent, context: RenderContext): RenderedEmail {
  const copy = COPY[context.locale];
  const document = buildDocument(content, context);
  return {
    subject: singleLine(document.subject),
    text: toText(document, copy),
    html: toHtml(document, copy, context.locale),
  };
}
