import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Done once here so every schema in contracts can carry OpenAPI metadata (`.openapi('Name')`).
extendZodWithOpenApi(z);

export { z };
