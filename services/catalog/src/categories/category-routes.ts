// HTTP routes of categories: the public tree with product counts, one
// category by id or slug, and admin creation.

import type { ServiceContext } from '@souk/chassis';
import { API_PREFIX, Category, CategoryList, CreateCategoryBody, RefParams } from '../../contract.ts';
import type { CategoryStore } from './category-store.ts';

export function registerCategoryRoutes(ctx: ServiceContext, categories: CategoryStore): void {
  const { app } = ctx;
  const tags = ['categories'];

  app.get(
    `${API_PREFIX}/categories`,
    {
      schema: {
        summary: 'All categories, parents before children, with product counts including subcategories',
        tags,
        response: { 200: CategoryList },
      },
    },
    async () => ({ items: await categories.list() }),
  );

  app.get(
    `${API_PREFIX}/categories/:id`,
    {
      schema: { summary: 'One category, by id or slug', tags, params: RefParams, response: { 200: Category } },
    },
    async (request) => categories.get(request.params.id),
  );

  app.post(
    `${API_PREFIX}/categories`,
    {
      onRequest: ctx.auth.required({ roles: ['admin'] }),
      schema: { summary: 'Create a category (admin)', tags, body: CreateCategoryBody, response: { 201: Category } },
    },
    async (request, reply) => {
      const category = await categories.create(request.body);
      return reply.code(201).header('location', `${API_PREFIX}/categories/${category.id}`).send(category);
    },
  );
}
