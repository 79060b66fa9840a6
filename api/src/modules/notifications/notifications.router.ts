import { AdminEmailList, AdminEmailQuery } from '@vitrine/contracts';
import { defineRoute, type Route } from '../../platform/http/route.js';
import type { EmailRecords } from './notifications.service.js';

export function notificationsRoutes(deps: { emails: EmailRecords }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/admin/emails',
      summary:
        'Transactional emails, newest first, with their delivery status, attempts and last error (administrators)',
      tag: 'admin',
      access: 'admin',
      request: { query: AdminEmailQuery },
      responses: { 200: { description: 'A page of emails', schema: AdminEmailList } },
      async handle({ query }) {
        return { status: 200, body: await deps.emails.listEmails(query) };
      },
    }),
  ];
}
