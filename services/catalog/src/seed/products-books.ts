// Seed products of the Books department. The brand of a book is its publisher;
// authors, titles and publishers are invented.

import type { TemplateFile } from './templates.ts';

export const bookProducts: TemplateFile = {
  skuPrefix: 'BKS',
  templates: [
    {
      name: 'The Salt Road', brand: 'Lantern Press', category: 'fiction', priceCents: 1299,
      description: 'A salt trader\'s daughter crosses the Sahara in 1890 to reclaim her father\'s caravan. Spare, sun-bleached prose and a heroine you will not forget.',
      tags: ['novel', 'literary fiction', 'historical'], attributes: { author: 'Mira Okafor', pages: 384 },
      variants: [
        { label: 'Paperback', attributes: { format: 'paperback' } },
        { label: 'Hardback', attributes: { format: 'hardback' }, priceCents: 2299 },
      ],
    },
    {
      name: 'Nine Winters in Tromsø', brand: 'Harbour & Vine', category: 'fiction', priceCents: 1499,
      description: 'A detective with a failing memory reopens the case that ended her career, in a town where the sun does not rise for two months.',
      tags: ['novel', 'crime', 'nordic noir'], attributes: { author: 'Anders Lindqvist', pages: 432, format: 'paperback' },
    },
    {
      name: 'The Clockmaker\'s Apprentice', brand: 'Lantern Press', category: 'fiction', priceCents: 1399,
      description: 'Every clock in the city stops at midnight except one, and fourteen-year-old Pip is the only one who can hear it ticking.',
      tags: ['novel', 'fantasy', 'young adult'], attributes: { author: 'Elena Marsh', pages: 320, format: 'paperback' },
    },
    {
      name: 'Small Hours: Stories', brand: 'Quarto Hill', category: 'fiction', priceCents: 1599,
      description: 'Twelve stories set between midnight and dawn: night nurses, bakers, insomniacs and one very lost fox.',
      tags: ['short stories', 'literary fiction'], attributes: { author: 'Tomasz Wierzbicki', pages: 256, format: 'paperback' },
    },
    {
      name: 'Orbit of Glass', brand: 'Harbour & Vine', category: 'fiction', priceCents: 1699,
      description: 'The last generation ship has been drifting for three centuries when its navigator finds a second, hidden crew asleep below deck.',
      tags: ['science fiction', 'space opera', 'novel'], attributes: { author: 'Priya Raman', pages: 512, format: 'paperback' },
    },
    {
      name: 'The Lighthouse Keeper\'s Garden', brand: 'Fieldstone Books', category: 'fiction', priceCents: 1299,
      description: 'Two strangers inherit the same crumbling Cornish lighthouse and have one summer to decide who keeps it.',
      tags: ['novel', 'romance', 'cornwall'], attributes: { author: 'Claire Dunmore', pages: 352, format: 'paperback' },
    },
    {
      name: 'Murder at the Marmalade Fair', brand: 'Fieldstone Books', category: 'fiction', priceCents: 1099,
      description: 'The judge of the village preserves contest is found face down in the damson jam, and retired librarian Edith Pryce has questions.',
      tags: ['mystery', 'cosy crime', 'novel'], attributes: { author: 'Harriet Quill', pages: 288, format: 'paperback' },
    },
    {
      name: 'The Cartographer of Lost Rivers', brand: 'Quarto Hill', category: 'fiction', priceCents: 1899,
      description: 'A mapmaker in 1920s Lisbon draws rivers that do not exist, until one morning they do.',
      tags: ['novel', 'literary fiction', 'magical realism'], attributes: { author: 'Jonah Abebe', pages: 400, format: 'hardback' },
    },
    {
      name: 'Weathering: Poems', brand: 'Lantern Press', category: 'fiction', priceCents: 1199,
      description: 'Sixty short poems about tides, kitchens and the people who leave them, from a voice both plain and startling.',
      tags: ['poetry'], attributes: { author: 'Niamh Carroll', pages: 96, format: 'paperback' },
    },
    {
      name: 'Salt, Smoke & Fire', brand: 'Harbour & Vine', category: 'non-fiction', priceCents: 3200,
      description: 'Eighty recipes for cooking over live fire, from charred leeks with romesco to a whole shoulder of lamb.',
      tags: ['cookbook', 'grilling', 'barbecue'], attributes: { author: 'Rafael Ortega', pages: 288, format: 'hardback' },
    },
    {
      name: 'The Everyday Sourdough', brand: 'Fieldstone Books', category: 'non-fiction', priceCents: 2499,
      description: 'A forgiving method for busy people: one starter, one dough, twenty breads and a schedule that fits around work.',
      tags: ['cookbook', 'baking', 'bread', 'sourdough'], attributes: { author: 'Anna Keller', pages: 224, format: 'hardback' },
    },
    {
      name: 'The Quiet Brain', brand: 'Lantern Press', category: 'non-fiction', priceCents: 1899,
      description: 'What happens in your head when you do nothing at all, and why boredom may be the most productive state you have.',
      tags: ['popular science', 'neuroscience', 'psychology'], attributes: { author: 'Samuel Reyes', pages: 336, format: 'paperback' },
    },
    {
      name: 'Walking the Alps: 40 Hut-to-Hut Routes', brand: 'Quarto Hill', category: 'non-fiction', priceCents: 2999,
      description: 'Maps, elevation profiles and honest notes on which huts serve the best apple strudel.',
      tags: ['travel', 'hiking', 'guidebook', 'alps'], attributes: { author: 'Greta Hofer', pages: 304, format: 'paperback' },
    },
    {
      name: 'A Short History of Coffee', brand: 'Harbour & Vine', category: 'non-fiction', priceCents: 1699,
      description: 'From Yemeni monasteries to third-wave roasteries: five centuries of the drink that kept the world awake.',
      tags: ['history', 'coffee', 'food history'], attributes: { author: 'Lucía Ferrer', pages: 272, format: 'paperback' },
    },
    {
      name: 'Designing Data Systems: Practical Patterns', brand: 'Quarto Hill', category: 'non-fiction', priceCents: 4499,
      description: 'Replication, partitioning, streams and the trade-offs behind them, explained with diagrams rather than jargon.',
      tags: ['programming', 'software architecture', 'databases'], attributes: { author: 'Kai Lindner', pages: 560, format: 'paperback' },
    },
    {
      name: 'Grow Your Own Salad', brand: 'Fieldstone Books', category: 'non-fiction', priceCents: 1499,
      description: 'Cut-and-come-again leaves on a windowsill, a balcony or a full allotment, all year round.',
      tags: ['gardening', 'vegetables', 'how to'], attributes: { author: 'Maggie Thorne', pages: 160, format: 'paperback' },
    },
    {
      name: 'The Art of the Slow Morning', brand: 'Harbour & Vine', category: 'non-fiction', priceCents: 1599,
      description: 'Essays on breakfast, walking and attention, for anyone whose day starts with a phone in hand.',
      tags: ['essays', 'wellbeing'], attributes: { author: 'Ines Moreau', pages: 208, format: 'hardback' },
    },
    {
      name: 'Pocket Guide to the Birds of Europe', brand: 'Fieldstone Books', category: 'non-fiction', priceCents: 2299,
      description: 'Over 500 species with painted plates, range maps and the one field mark that tells look-alikes apart.',
      tags: ['nature', 'birds', 'field guide'], attributes: { author: 'Oskar Brandt', pages: 448, format: 'flexibound' },
    },
    {
      name: 'Otto the Otter Learns to Swim', brand: 'Lantern Press', category: 'books', priceCents: 999,
      description: 'A picture book about being brave in small steps, for readers aged three to six and the grown-ups reading aloud.',
      tags: ['picture book', 'kids', 'ages 3 to 6'], attributes: { author: 'Lena Brook', pages: 32, format: 'hardback' },
    },
  ],
};
