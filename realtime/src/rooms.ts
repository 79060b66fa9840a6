/** Room names live here only, so emitters and joiners can never disagree on spelling. */

/** Every socket of one signed-in user; `order:updated` goes here. */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/** Every socket watching one product's stock; `stock` goes here. */
export function productRoom(productId: string): string {
  return `product:${productId}`;
}
