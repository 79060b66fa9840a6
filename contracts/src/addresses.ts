import { Id } from './common.js';
import { z } from './zod.js';

const Text = (max: number) => z.string().trim().min(1).max(max);

const AddressFields = {
  recipient: Text(100),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9][0-9 ()-]{3,28}[0-9]$/, 'must be a phone number'),
  line1: Text(200),
  line2: z.string().trim().max(200).nullable().optional(),
  city: Text(100),
  postalCode: Text(20),
  country: Text(60),
  isDefault: z.boolean().optional(),
};

export const CreateAddressBody = z.object(AddressFields).strict().openapi('CreateAddressBody');
export type CreateAddressBody = z.infer<typeof CreateAddressBody>;

export const UpdateAddressBody = z
  .object(AddressFields)
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'at least one field is required' })
  .openapi('UpdateAddressBody');
export type UpdateAddressBody = z.infer<typeof UpdateAddressBody>;

export const Address = z
  .object({
    id: Id,
    recipient: z.string(),
    phone: z.string(),
    line1: z.string(),
    line2: z.string().nullable(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
    isDefault: z.boolean(),
  })
  .openapi('Address');
export type Address = z.infer<typeof Address>;

export const AddressList = z.object({ items: z.array(Address) }).openapi('AddressList');
export type AddressList = z.infer<typeof AddressList>;
