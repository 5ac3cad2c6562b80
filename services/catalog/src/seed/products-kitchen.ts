// Seed products of the Kitchen department (cookware, knives and tools).

import { colours, type TemplateFile } from './templates.ts';

export const kitchenProducts: TemplateFile = {
  skuPrefix: 'KIT',
  templates: [
    {
      name: 'Cast Iron Skillet 26 cm', brand: 'Ferro & Fig', category: 'cookware', priceCents: 4990,
      description: 'Pre-seasoned with flaxseed oil and ready for searing on day one. Holds heat for an even crust and goes from hob to oven to table.',
      tags: ['cast iron', 'skillet', 'induction', 'oven safe'], attributes: { material: 'cast iron', diameterCm: 26 },
    },
    {
      name: 'Enamelled Dutch Oven 24 cm', brand: 'Ferro & Fig', category: 'cookware', priceCents: 12900,
      description: 'A heavy, tight lid locks in steam, which makes this the pot for slow braises, no-knead bread and Sunday stews. The glossy enamel interior needs no seasoning.',
      tags: ['dutch oven', 'casserole', 'enamel', 'induction'], attributes: { material: 'enamelled cast iron', capacityL: 4.2 },
      variants: colours('Cherry', 'Sage', 'Midnight'),
    },
    {
      name: 'Tri-Ply Saucepan Set of 3', brand: 'Kestrel Steel', category: 'cookware', priceCents: 8900,
      description: 'Tri-ply bases spread heat evenly from edge to centre. Sizes 16, 18 and 20 cm, with glass lids and pouring rims.',
      tags: ['saucepan', 'stainless steel', 'induction', 'set'], attributes: { material: 'stainless steel', pieces: 3 },
    },
    {
      name: 'Carbon Steel Wok 32 cm', brand: 'Ferro & Fig', category: 'cookware', priceCents: 3990,
      description: 'Thin, light and quick to heat, the way a wok should be. It builds a natural non-stick patina the more you cook with it.',
      tags: ['wok', 'carbon steel', 'stir fry'], attributes: { material: 'carbon steel', diameterCm: 32 },
    },
    {
      name: 'Ceramic Non-Stick Frying Pan 28 cm', brand: 'Lumen Home', category: 'cookware', priceCents: 3490,
      description: 'A PFAS-free ceramic coating releases eggs and pancakes with barely a drop of oil. The riveted handle stays cool on the hob.',
      tags: ['frying pan', 'non-stick', 'ceramic', 'pfas free'], attributes: { material: 'aluminium', diameterCm: 28 },
    },
    {
      name: 'Chef\'s Knife 20 cm', brand: 'Kestrel Steel', category: 'kitchen-tools', priceCents: 7900,
      description: 'Forged from a single bar of German stainless steel and sharpened to 15 degrees per side. Balanced at the bolster for long prep sessions.',
      tags: ['knife', 'chef knife', 'german steel'], attributes: { material: 'X50CrMoV15 steel', bladeCm: 20 },
    },
    {
      name: 'Santoku Knife 18 cm', brand: 'Kestrel Steel', category: 'kitchen-tools', priceCents: 6900,
      description: 'A scalloped edge keeps slices of potato and cucumber from sticking to the blade.',
      tags: ['knife', 'santoku', 'japanese style'], attributes: { material: 'X50CrMoV15 steel', bladeCm: 18 },
    },
    {
      name: 'Paring Knife 9 cm', brand: 'Kestrel Steel', category: 'kitchen-tools', priceCents: 1990,
      description: 'For peeling, hulling and all the small jobs a big knife makes clumsy.',
      tags: ['knife', 'paring knife'], attributes: { material: 'X50CrMoV15 steel', bladeCm: 9 },
    },
    {
      name: 'End-Grain Chopping Board', brand: 'Oak & Ash', category: 'kitchen-tools', priceCents: 5900,
      description: 'End-grain blocks let the edge slip between the fibres, so the board heals and your knives stay sharp. Finished with food-safe mineral oil.',
      tags: ['chopping board', 'wood', 'end grain'], attributes: { widthCm: 40, depthCm: 30 },
      variants: [
        { label: 'Oak', attributes: { material: 'oak' } },
        { label: 'Walnut', attributes: { material: 'walnut' }, priceCents: 6900 },
      ],
    },
    {
      name: 'Olive Wood Spoon Set', brand: 'Oak & Ash', category: 'kitchen-tools', priceCents: 2490,
      description: 'Three spoons carved from pruned olive branches; no two grain patterns are alike.',
      tags: ['wooden spoon', 'olive wood', 'utensils'], attributes: { material: 'olive wood', pieces: 3 },
    },
    {
      name: 'Digital Kitchen Scale', brand: 'Lumen Home', category: 'kitchen-tools', priceCents: 2990,
      description: 'Weighs to the gram up to 5 kg, with a tare button and a flat glass top that wipes clean.',
      tags: ['scale', 'baking', 'digital'], attributes: { maxKg: 5 },
      variants: colours('Black', 'White'),
    },
    {
      name: 'Silicone Spatula Trio', brand: 'Pantry Lane', category: 'kitchen-tools', priceCents: 1490,
      description: 'Heat resistant to 260 °C, with a stiff core for scraping bowls clean and a soft edge that follows their curve.',
      tags: ['spatula', 'silicone', 'baking'], attributes: { material: 'silicone', pieces: 3 },
    },
    {
      name: 'Fine Zester Grater', brand: 'Kestrel Steel', category: 'kitchen-tools', priceCents: 2290,
      description: 'Photo-etched teeth zest lemons and shave parmesan into clouds without tearing.',
      tags: ['grater', 'zester', 'citrus'], attributes: { material: 'stainless steel' },
    },
    {
      name: 'Pasta Machine', brand: 'Ferro & Fig', category: 'kitchen-tools', priceCents: 6490,
      description: 'Nine thickness settings and a tagliatelle cutter. Clamps to any worktop up to 6 cm thick.',
      tags: ['pasta', 'pasta maker', 'italian'], attributes: { material: 'chrome-plated steel' },
    },
    {
      name: 'Borosilicate Storage Jars, Set of 4', brand: 'Lumen Home', category: 'kitchen', priceCents: 3490,
      description: 'Airtight bamboo lids keep flour, rice and pasta fresh, and the glass goes in the dishwasher.',
      tags: ['storage', 'glass', 'jars', 'pantry'], attributes: { material: 'borosilicate glass', pieces: 4 },
    },
    {
      name: 'Linen Tea Towels, Pair', brand: 'Pantry Lane', category: 'kitchen', priceCents: 1990,
      description: 'Stonewashed European linen that dries glasses without lint and gets softer with every wash.',
      tags: ['tea towel', 'linen', 'textiles'], attributes: { material: 'linen' },
      variants: colours('Natural', 'Stripe'),
    },
    {
      name: 'Stoneware Mixing Bowl 3 L', brand: 'Pantry Lane', category: 'kitchen', priceCents: 3290,
      description: 'Heavy enough to stay put while you whisk. Glazed inside, with an unglazed foot that grips the counter.',
      tags: ['mixing bowl', 'stoneware', 'baking'], attributes: { material: 'stoneware', capacityL: 3 },
      variants: colours('Cream', 'Slate'),
    },
    {
      name: 'Herb Keeper', brand: 'Lumen Home', category: 'kitchen', priceCents: 1790,
      description: 'A small water reservoir keeps parsley, coriander and basil crisp in the fridge for up to two weeks.',
      tags: ['herbs', 'storage', 'fresh'], attributes: { material: 'glass' },
    },
  ],
};
