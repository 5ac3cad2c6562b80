// Seed categories: eight departments, some split into subcategories. Slugs are
// stable identifiers (their ids are derived from them), so rename, never re-slug.

export interface SeedCategory {
  slug: string;
  name: string;
  description: string;
  /** Slug of the parent; it must appear earlier in the list. */
  parent?: string;
}

export const seedCategories: readonly SeedCategory[] = [
  { slug: 'kitchen', name: 'Kitchen', description: 'Cookware, knives and the tools that make cooking at home a pleasure.' },
  { slug: 'cookware', name: 'Cookware', parent: 'kitchen', description: 'Pans, pots and ovenware for every hob.' },
  { slug: 'kitchen-tools', name: 'Knives & Tools', parent: 'kitchen', description: 'Knives, boards, scales and utensils.' },
  { slug: 'coffee-tea', name: 'Coffee & Tea', description: 'Freshly roasted beans, loose-leaf tea and the gear to brew them.' },
  { slug: 'coffee', name: 'Coffee', parent: 'coffee-tea', description: 'Single origins and blends from small-batch roasters.' },
  { slug: 'tea', name: 'Tea', parent: 'coffee-tea', description: 'Black, green, oolong and herbal teas, mostly loose leaf.' },
  { slug: 'brewing', name: 'Brewing Equipment', parent: 'coffee-tea', description: 'Drippers, grinders, kettles and presses.' },
  { slug: 'home-office', name: 'Home Office', description: 'Desks, chairs and accessories for working well from home.' },
  { slug: 'stationery', name: 'Stationery', parent: 'home-office', description: 'Notebooks, pens and planners.' },
  { slug: 'outdoor', name: 'Outdoor', description: 'Gear for camping, hiking and the garden.' },
  { slug: 'camping', name: 'Camping & Hiking', parent: 'outdoor', description: 'Tents, sleeping bags, stoves and packs.' },
  { slug: 'garden', name: 'Garden', parent: 'outdoor', description: 'Tools, planters and seeds for growing your own.' },
  { slug: 'audio', name: 'Audio', description: 'Headphones, speakers and hi-fi for music at home and on the move.' },
  { slug: 'headphones', name: 'Headphones', parent: 'audio', description: 'Over-ear, in-ear and studio headphones.' },
  { slug: 'speakers', name: 'Speakers', parent: 'audio', description: 'Portable, bookshelf and smart speakers.' },
  { slug: 'books', name: 'Books', description: 'Novels, cookbooks, guides and ideas.' },
  { slug: 'fiction', name: 'Fiction', parent: 'books', description: 'Novels, short stories and poetry.' },
  { slug: 'non-fiction', name: 'Non-fiction', parent: 'books', description: 'Cookbooks, science, travel and history.' },
  { slug: 'toys', name: 'Toys & Games', description: 'Wooden toys, building sets, puzzles and games.' },
  { slug: 'board-games', name: 'Board Games', parent: 'toys', description: 'Family, strategy and party games.' },
  { slug: 'apparel', name: 'Apparel', description: 'Everyday clothing in natural fibres, made to last.' },
];
