import type { QueryInterface } from 'sequelize';

export async function up(queryInterface: QueryInterface): Promise<void> {
  void queryInterface;
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  void queryInterface;
}
