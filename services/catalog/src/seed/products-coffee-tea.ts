// Seed products of the Coffee & Tea department (beans, teas and brewing gear).

import { colours, type TemplateFile } from './templates.ts';

export const coffeeTeaProducts: TemplateFile = {
  skuPrefix: 'CAF',
  templates: [
    {
      name: 'Ethiopia Yirgacheffe Whole Beans 250 g', brand: 'Hillside Roasters', category: 'coffee', priceCents: 1290,
      description: 'Washed heirloom beans with notes of jasmine, bergamot and lemon curd. Roasted light to keep the florals bright.',
      tags: ['coffee beans', 'single origin', 'light roast', 'ethiopia'], attributes: { origin: 'Ethiopia', roast: 'light', weightG: 250 },
    },
    {
      name: 'Colombia Huila Whole Beans 250 g', brand: 'Hillside Roasters', category: 'coffee', priceCents: 1190,
      description: 'Caramel sweetness, red apple and a round, chocolatey finish. Forgiving in any brewer.',
      tags: ['coffee beans', 'single origin', 'medium roast', 'colombia'], attributes: { origin: 'Colombia', roast: 'medium', weightG: 250 },
    },
    {
      name: 'House Espresso Blend 1 kg', brand: 'Hillside Roasters', category: 'coffee', priceCents: 3290,
      description: 'Brazil and Guatemala with a little robusta for crema. Thick, syrupy shots with cocoa and toasted hazelnut.',
      tags: ['coffee beans', 'espresso', 'blend', 'dark roast'], attributes: { roast: 'medium-dark', weightG: 1000 },
      variants: [
        { label: 'Whole Bean', attributes: { grind: 'whole bean' } },
        { label: 'Ground for Espresso', attributes: { grind: 'espresso' } },
      ],
    },
    {
      name: 'Decaf Mexico Chiapas 250 g', brand: 'Hillside Roasters', category: 'coffee', priceCents: 1240,
      description: 'Decaffeinated with the Swiss Water process, without solvents. Milk chocolate and almond; a good cup late in the evening.',
      tags: ['coffee beans', 'decaf', 'swiss water', 'mexico'], attributes: { origin: 'Mexico', roast: 'medium', weightG: 250 },
    },
    {
      name: 'Kenya AA Nyeri 250 g', brand: 'Hillside Roasters', category: 'coffee', priceCents: 1490,
      description: 'Blackcurrant and grapefruit acidity over a juicy body. Made for pour-over.',
      tags: ['coffee beans', 'single origin', 'kenya', 'filter'], attributes: { origin: 'Kenya', roast: 'light', weightG: 250 },
    },
    {
      name: 'Coffee Tasting Gift Box', brand: 'Hillside Roasters', category: 'coffee-tea', priceCents: 3990,
      description: 'Four 100 g bags from four continents and a tasting card to compare them side by side.',
      tags: ['gift', 'coffee beans', 'sampler'], attributes: { weightG: 400 },
    },
    {
      name: 'First Flush Darjeeling 100 g', brand: 'Oolong & Co', category: 'tea', priceCents: 1890,
      description: 'Spring-picked leaves from a single Himalayan estate with a bright, muscatel character. Brew at 85 °C for three minutes.',
      tags: ['black tea', 'loose leaf', 'darjeeling', 'india'], attributes: { origin: 'India', weightG: 100 },
    },
    {
      name: 'Kabusecha Sencha 100 g', brand: 'Oolong & Co', category: 'tea', priceCents: 1590,
      description: 'Shaded for a week before harvest, which makes it sweeter and far less astringent than everyday sencha.',
      tags: ['green tea', 'loose leaf', 'japan'], attributes: { origin: 'Japan', weightG: 100 },
    },
    {
      name: 'Earl Grey Cream 125 g', brand: 'Oolong & Co', category: 'tea', priceCents: 990,
      description: 'Ceylon black tea with Calabrian bergamot oil and a touch of vanilla. Takes a splash of milk well.',
      tags: ['black tea', 'earl grey', 'bergamot', 'loose leaf'], attributes: { origin: 'Sri Lanka', weightG: 125 },
    },
    {
      name: 'Tie Guan Yin Oolong 75 g', brand: 'Oolong & Co', category: 'tea', priceCents: 1790,
      description: 'Tightly rolled leaves that unfurl over five or six infusions, each more orchid-like than the last.',
      tags: ['oolong', 'loose leaf', 'china'], attributes: { origin: 'China', weightG: 75 },
    },
    {
      name: 'Chamomile & Lemon Balm Tea, 20 Bags', brand: 'Oolong & Co', category: 'tea', priceCents: 590,
      description: 'Whole chamomile flowers in plastic-free pyramid bags. Caffeine free.',
      tags: ['herbal tea', 'caffeine free', 'tea bags'], attributes: { bags: 20 },
    },
    {
      name: 'Ceremonial Matcha 30 g', brand: 'Oolong & Co', category: 'tea', priceCents: 2490,
      description: 'Stone-ground in Uji from first-harvest leaves. Vivid green and rich in umami, with no bitterness when whisked at 75 °C.',
      tags: ['matcha', 'green tea', 'japan'], attributes: { origin: 'Japan', weightG: 30 },
    },
    {
      name: 'Glass Pour-Over Dripper', brand: 'Kettle & Crane', category: 'brewing', priceCents: 2490,
      description: 'A 60° cone with spiral ribs for an even, steady drawdown. Takes size 02 paper filters.',
      tags: ['pour over', 'dripper', 'filter coffee'], attributes: { material: 'borosilicate glass' },
    },
    {
      name: 'Gooseneck Kettle 0.9 L', brand: 'Kettle & Crane', category: 'brewing', priceCents: 6900,
      description: 'Holds any temperature from 40 to 100 °C to within a degree, and the slim spout pours a stream as thin as you like.',
      tags: ['kettle', 'gooseneck', 'pour over', 'electric'], attributes: { capacityL: 0.9 },
      variants: colours('Matte Black', 'Brushed Steel'),
    },
    {
      name: 'French Press 1 L', brand: 'Kettle & Crane', category: 'brewing', priceCents: 3490,
      description: 'Double-walled steel keeps the coffee hot for an hour, and the four-layer mesh lets almost no grit through.',
      tags: ['french press', 'cafetiere', 'immersion'], attributes: { capacityL: 1, material: 'stainless steel' },
    },
    {
      name: 'Hand Burr Grinder', brand: 'Tamper Works', category: 'brewing', priceCents: 8900,
      description: '38 mm conical steel burrs with 40 click settings, from Turkish fine to French-press coarse. Grinds 20 g in under a minute.',
      tags: ['grinder', 'burr grinder', 'manual'], attributes: { burrMm: 38 },
    },
    {
      name: 'Stovetop Espresso Maker, 6 Cup', brand: 'Tamper Works', category: 'brewing', priceCents: 3290,
      description: 'Cast aluminium with a safety valve and a heat-resistant handle. Strong, rich coffee on gas or electric hobs.',
      tags: ['moka pot', 'stovetop', 'espresso'], attributes: { cups: 6, material: 'aluminium' },
    },
    {
      name: 'Cast Iron Teapot 0.8 L', brand: 'Kettle & Crane', category: 'brewing', priceCents: 5490,
      description: 'An enamelled interior and a removable steel infuser. Keeps tea warm long after the first pour.',
      tags: ['teapot', 'cast iron', 'tetsubin'], attributes: { capacityL: 0.8, material: 'cast iron' },
    },
    {
      name: 'Paper Filters Size 02, 100 Pack', brand: 'Kettle & Crane', category: 'brewing', priceCents: 690,
      description: 'Unbleached filters that add no papery taste once rinsed.',
      tags: ['filters', 'pour over', 'paper'], attributes: { count: 100 },
    },
    {
      name: 'Milk Frothing Jug 600 ml', brand: 'Tamper Works', category: 'brewing', priceCents: 1990,
      description: 'A sharp spout for latte art and etched measuring lines on the inside.',
      tags: ['milk jug', 'latte art', 'espresso'], attributes: { capacityMl: 600, material: 'stainless steel' },
    },
    {
      name: 'Stoneware Mug 350 ml', brand: 'Kettle & Crane', category: 'coffee-tea', priceCents: 1490,
      description: 'A hand-dipped glaze, a thick wall that keeps coffee hot and a handle that fits four fingers.',
      tags: ['mug', 'ceramic', 'stoneware'], attributes: { capacityMl: 350, material: 'stoneware' },
      variants: colours('Sand', 'Ink', 'Moss'),
    },
  ],
};
