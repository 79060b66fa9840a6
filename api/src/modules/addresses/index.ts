import type { Sequelize } from 'sequelize';
import { defineAddressModels } from './addresses.models.js';
import { createAddressesRepository } from './addresses.repository.js';
import { addressesRoutes } from './addresses.router.js';
import { createAddressesService } from './addresses.service.js';

export type { AddressesService } from './addresses.service.js';

/** The address book: each user's delivery addresses, exactly one of them the default. */
export function createAddressesModule(deps: { sequelize: Sequelize }) {
  const repository = createAddressesRepository(defineAddressModels(deps.sequelize));
  const service = createAddressesService({ sequelize: deps.sequelize, repository });
  return { service, routes: addressesRoutes(service) };
}
