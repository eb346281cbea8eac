import 'reflect-metadata';
import { RouteConfig } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { Controller, Delete, Get, Post } from '@nestjs/common';
import { declareDefaultAccess } from '../../../src/auth/auth.guard';
import { ACCESS_KEY, AdminOnly, Public, ReadAccess, RequireAccess } from '../../../src/auth/roles';

/** The access rule in a handler's Fastify route config: what the onRequest auth hook reads before the body. */
const routeAccess = (handler: unknown) => (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler as object) as { access?: string } | undefined)?.access;

describe('RequireAccess puts the rule where the onRequest hook finds it (the Fastify route config)', () => {
  it('a method rule goes into that method\'s route config, beside Nest\'s own metadata', () => {
    class Routes {
      @ReadAccess()
      list(): void {}
    }
    expect(Reflect.getMetadata(ACCESS_KEY, Routes.prototype.list)).toBe('read');
    expect(routeAccess(Routes.prototype.list)).toBe('read');
  });

  it('a class rule reaches every method that declares none; a method rule wins over it', () => {
    @AdminOnly()
    class Keys {
      create(): void {}
      @Public()
      openly(): void {}
    }
    expect(Reflect.getMetadata(ACCESS_KEY, Keys)).toBe('admin');
    expect(routeAccess(Keys.prototype.create)).toBe('admin');
    expect(routeAccess(Keys.prototype.openly)).toBe('public');
  });

  it('keeps route config set on the handler before it (decorators apply bottom-up)', () => {
    class Routes {
      @RequireAccess('checker')
      @RouteConfig({ rateLimit: 5 })
      write(): void {}
    }
    expect(Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, Routes.prototype.write)).toEqual({ access: 'checker', rateLimit: 5 });
  });
});

describe('declareDefaultAccess: every Nest route reaches the request hook with a rule', () => {
  it('a route that declares none gets the default (read for GET/HEAD, checker otherwise), never public', () => {
    @Controller('x')
    class Undeclared {
      @Get()
      list(): void {}
      @Post()
      create(): void {}
      @ReadAccess()
      @Delete(':id')
      remove(): void {}
      helper(): void {}
    }
    declareDefaultAccess([Undeclared]);
    expect(routeAccess(Undeclared.prototype.list)).toBe('read');
    expect(routeAccess(Undeclared.prototype.create)).toBe('checker');
    expect(routeAccess(Undeclared.prototype.remove)).toBe('read'); // its own rule stands
    expect(routeAccess(Undeclared.prototype.helper)).toBeUndefined(); // not a route
  });

  it('a route inherited from a base class gets its controller\'s rule', () => {
    class Base {
      @Post('run')
      run(): void {}
    }
    @AdminOnly()
    @Controller('y')
    class Derived extends Base {}
    declareDefaultAccess([Derived]);
    expect(routeAccess(Derived.prototype.run)).toBe('admin');
  });
});
