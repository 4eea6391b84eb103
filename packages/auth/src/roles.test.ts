import { describe, expect, it } from 'vitest';
import { canGrantRole, hasPermission, isPlatformAdmin } from './roles.js';

describe('roles', () => {
  it('lets operators acknowledge but not resolve alerts', () => {
    expect(hasPermission('operator', 'alerts:acknowledge')).toBe(true);
    expect(hasPermission('operator', 'alerts:resolve')).toBe(false);
    expect(hasPermission('manager', 'alerts:resolve')).toBe(true);
    expect(hasPermission('viewer', 'alerts:acknowledge')).toBe(false);
  });

  it('lets managers create operators and viewers only', () => {
    expect(canGrantRole('manager', 'operator')).toBe(true);
    expect(canGrantRole('manager', 'manager')).toBe(false);
    expect(canGrantRole('admin', 'manager')).toBe(true);
    expect(canGrantRole('operator', 'viewer')).toBe(false);
  });

  it('knows a platform admin by its missing tenant', () => {
    expect(isPlatformAdmin({ role: 'admin', tenantId: null })).toBe(true);
    expect(isPlatformAdmin({ role: 'admin', tenantId: 't' })).toBe(false);
    expect(isPlatformAdmin({ role: 'manager', tenantId: null })).toBe(false);
  });
});
