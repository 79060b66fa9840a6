import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmailTemplate } from '@vitrine/contracts';
import { escapeHtml, formatDateTime, formatMoney, safeHref } from './email-format.js';
import { parseEmailContent, renderEmail, type EmailContent } from './email-templates.js';

const HOSTILE = `<img src=x onerror=alert(1)>"'&`;
const order = {
  name: HOSTILE,
  orderId: '01890a5d-ac96-774b-bcce-b302099a8057',
  items: [{ productId: 'p-1', name: `<script>alert("mug")</script>`, price: 12900, quantity: 2 }],
  total: 25800,
  currency: 'KRW',
};
const SAMPLES: EmailContent[] = [
  { template: 'welcome', params: { name: HOSTILE } },
  { template: 'order-placed', params: { ...order, expiresAt: '2026-11-24T09:05:00.000Z' } },
  { template: 'payment-reminder', params: { ...order, expiresAt: '2026-11-24T09:05:00.000Z', minutesLeft: 1 } },
  { template: 'payment-received', params: { ...order, paidAt: '2026-11-24T09:01:00.000Z' } },
  { template: 'order-expired', params: order },
];
const context = { timeZone: 'Asia/Seoul', webUrl: 'https://shop.example' };

describe('email templates', () => {
  it('when any template is rendered in any language, then no user-provided value becomes markup in the HTML part', () => {
    assert.deepEqual(SAMPLES.map((sample) => sample.template).sort(), [...EmailTemplate.options].sort());
    for (const locale of ['ko', 'en'] as const) {
      for (const sample of SAMPLES) {
        const { subject, text, html } = renderEmail(sample, { ...context, locale });
        assert.ok(subject.length > 0 && !/[\r\n]/.test(subject), `${sample.template}/${locale}: one-line subject`);
        assert.ok(!html.includes('<img'), `${sample.template}/${locale}: <img> escaped`);
        assert.ok(!html.includes('<script'), `${sample.template}/${locale}: <script> escaped`);
        assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;'), `${sample.template}/${locale}`);
        // Plain text is not markup: there the name reads as typed.
        assert.ok(text.includes(HOSTILE), `${sample.template}/${locale}: text keeps the name as typed`);
      }
    }
  });

  it('when an order email is rendered, then it lists the items, the total in KRW and the deadline in KST', () => {
    const ko = renderEmail(SAMPLES[1] as EmailContent, { ...context, locale: 'ko' });
    assert.equal(ko.subject, '[Vitrine] 주문이 접수되었습니다');
    assert.match(ko.text, /2개 × 12,900원\): 25,800원/);
    assert.match(ko.text, /합계: 25,800원/);
    assert.match(ko.text, /2026년 11월 24일 화 18:05 \(한국 표준시\)/);
    assert.match(ko.text, /https:\/\/shop\.example\/orders\/01890a5d-ac96-774b-bcce-b302099a8057/);

    const en = renderEmail(SAMPLES[1] as EmailContent, { ...context, locale: 'en' });
    assert.equal(en.subject, '[Vitrine] We have received your order');
    assert.match(en.text, /2 × ₩12,900\): ₩25,800/);
    assert.match(en.text, /Total: ₩25,800/);
    assert.match(en.text, /Tue, November 24, 2026 at 18:05 \(Korean Standard Time\)/);
  });

  it('when an order expired, then each product links to its page on the storefront', () => {
    const { text, html } = renderEmail(SAMPLES[4] as EmailContent, { ...context, locale: 'ko' });
    assert.match(text, /https:\/\/shop\.example\/products\/p-1/);
    assert.match(html, /href="https:\/\/shop\.example\/products\/p-1"/);
  });

  it('when stored parameters do not fit their template, then they are refused rather than rendered', () => {
    assert.throws(() => parseEmailContent('order-placed', { name: 'x' }));
    assert.equal(parseEmailContent('welcome', { name: 'Jimin' }).template, 'welcome');
  });

  it('formats money per currency and language, and times in the configured zone', () => {
    assert.equal(formatMoney(12900, 'KRW', 'ko'), '12,900원');
    assert.equal(formatMoney(12900, 'KRW', 'en'), '₩12,900');
    assert.equal(formatMoney(1290, 'USD', 'en'), '$12.90');
    assert.equal(formatMoney(5, 'NOPE', 'en'), '5 NOPE');
    assert.match(
      formatDateTime('2026-11-24T09:05:00.000Z', 'en', 'America/New_York'),
      /04:05 \(Eastern Standard Time\)/,
    );
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(safeHref('javascript:alert(1)'), '#');
    assert.equal(safeHref('https://shop.example/products/1'), 'https://shop.example/products/1');
  });
});
