/** Injection token of the `DemoConfig` the app was started with. */
export const DEMO_CONFIG = 'DEMO_CONFIG';

/** Every scope the demo's routes ask for. */
export const Scopes = {
  ordersRead: 'orders:read',
  ordersWrite: 'orders:write',
  flagsRead: 'flags:read',
  flagsWrite: 'flags:write',
  keysAdmin: 'keys:admin',
} as const;

/** The owner of the admin key printed on first start; its existence marks "already seeded". */
export const ADMIN_OWNER_ID = 'gatekeeper-admin';
export const ADMIN_KEY_SCOPES = [Scopes.keysAdmin, Scopes.flagsWrite, Scopes.flagsRead];

/** The flag behind `POST /checkout`. */
export const NEW_CHECKOUT_FLAG = 'new_checkout';
/** A string flag whose value the public catalog shows. */
export const CATALOG_BANNER_FLAG = 'catalog_banner';
