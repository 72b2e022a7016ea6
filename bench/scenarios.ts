import type { Scenario } from './run.js';

/** The benchmark scenarios, in the order they run. */
export const scenarios: Scenario[] = [
  {
    name: 'GET /categories (authenticated list)',
    // Three framework hooks and a key look-up (a second query) against one bare query: see docs/decisions.md.
    target: 0.35,
    async seed({ services }) {
      const school = await services.schools.create({ name: 'Bench school', ownerEmail: 'bench@example.com', ownerPassword: 'bench password' });
      for (let i = 0; i < 30; i++) await services.categories.create(school.school.id, { name: `Category ${i}` });
      return { path: '/api/v1/categories?limit=20', key: school.apiKey, schoolId: school.school.id };
    },
    baseline(app, pool, { schoolId }) {
      app.get('/api/v1/categories', async () => {
        const { rows } = await pool.query(
          `SELECT id, name, slug, icon, "order", created_at AS "createdAt", updated_at AS "updatedAt"
             FROM categories WHERE school_id = $1 ORDER BY "order", id LIMIT 21`,
          [schoolId],
        );
        return { categories: rows.slice(0, 20).map((r) => ({ object: 'category', ...r })) };
      });
    },
  },
];
