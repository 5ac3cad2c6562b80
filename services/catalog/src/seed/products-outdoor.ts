// Seed products of the Outdoor department (camping, hiking and garden).

import { colours, type TemplateFile } from './templates.ts';

export const outdoorProducts: TemplateFile = {
  skuPrefix: 'OUT',
  templates: [
    {
      name: 'Two-Person Backpacking Tent', brand: 'Northfell', category: 'camping', priceCents: 29900,
      description: '1.6 kg all in, with two doors and two vestibules. It pitches fly-first, so the inner stays dry in the rain.',
      tags: ['tent', 'backpacking', 'lightweight', '2 person'], attributes: { weightG: 1600, persons: 2 },
    },
    {
      name: 'Down Sleeping Bag −5 °C', brand: 'Northfell', category: 'camping', priceCents: 24900,
      description: 'Responsibly sourced 700-fill down in a mummy cut that packs to the size of a loaf of bread.',
      tags: ['sleeping bag', 'down', '3 season'], attributes: { comfortC: -5, fill: '700 fill power down' },
      variants: [
        { label: 'Regular', attributes: { size: 'regular' } },
        { label: 'Long', attributes: { size: 'long' }, priceCents: 26900 },
      ],
    },
    {
      name: 'Self-Inflating Sleeping Mat', brand: 'Tern Outdoor', category: 'camping', priceCents: 8900,
      description: 'Five centimetres of open-cell foam with an R-value of 4.2: warm enough for spring snow.',
      tags: ['sleeping mat', 'camping', 'self inflating'], attributes: { rValue: 4.2, thicknessCm: 5 },
    },
    {
      name: 'Titanium Camping Mug 450 ml', brand: 'Ember Camp', category: 'camping', priceCents: 2490,
      description: 'Weighs 68 g and doubles as a cook pot over a small stove; the folding handles stay cool.',
      tags: ['mug', 'titanium', 'ultralight'], attributes: { weightG: 68, capacityMl: 450 },
    },
    {
      name: 'Compact Canister Stove', brand: 'Ember Camp', category: 'camping', priceCents: 4490,
      description: 'Boils a litre of water in three and a half minutes, with piezo ignition and a wind-shielded burner.',
      tags: ['stove', 'camping', 'cooking'], attributes: { weightG: 95 },
    },
    {
      name: 'Rechargeable Headtorch 400 lm', brand: 'Tern Outdoor', category: 'camping', priceCents: 3990,
      description: 'A red night mode, a lock-out for the rucksack and a USB-C battery that lasts a whole weekend on low.',
      tags: ['headlamp', 'headtorch', 'usb rechargeable'], attributes: { lumens: 400 },
    },
    {
      name: 'Hiking Daypack 24 L', brand: 'Tern Outdoor', category: 'camping', priceCents: 8900,
      description: 'A ventilated back panel, hip-belt pockets and a rain cover stowed in the base.',
      tags: ['backpack', 'daypack', 'hiking'], attributes: { capacityL: 24 },
      variants: colours('Slate', 'Rust', 'Olive'),
    },
    {
      name: 'Carbon Trekking Poles, Pair', brand: 'Northfell', category: 'camping', priceCents: 6900,
      description: 'Three-section carbon poles with cork grips and quick flick-locks; together they weigh less than a water bottle.',
      tags: ['trekking poles', 'hiking', 'carbon'], attributes: { weightG: 420 },
    },
    {
      name: 'Folding Camp Chair', brand: 'Ember Camp', category: 'camping', priceCents: 5990,
      description: 'Sets up in seconds on shock-corded poles and packs into a bag the length of a forearm.',
      tags: ['chair', 'camping', 'folding'], attributes: { maxLoadKg: 120 },
    },
    {
      name: 'Insulated Water Bottle 750 ml', brand: 'Tern Outdoor', category: 'outdoor', priceCents: 2990,
      description: 'Keeps water cold for 24 hours or tea hot for 12, and the powder coat will not slip from a wet hand.',
      tags: ['water bottle', 'insulated', 'stainless steel'], attributes: { capacityMl: 750 },
      variants: colours('Glacier', 'Pine', 'Charcoal'),
    },
    {
      name: 'Waterproof Picnic Blanket', brand: 'Tern Outdoor', category: 'outdoor', priceCents: 4490,
      description: 'Soft fleece on top and a waterproof backing underneath, so damp grass stays where it belongs.',
      tags: ['picnic', 'blanket', 'waterproof'], attributes: { widthCm: 200, depthCm: 150 },
    },
    {
      name: 'Bypass Pruning Secateurs', brand: 'Greenrow', category: 'garden', priceCents: 3490,
      description: 'Japanese carbon-steel blades cut cleanly through 2 cm branches, and a sap groove keeps them from gumming up.',
      tags: ['secateurs', 'pruning', 'garden tools'], attributes: { material: 'carbon steel' },
    },
    {
      name: 'Stainless Steel Hand Trowel', brand: 'Greenrow', category: 'garden', priceCents: 1990,
      description: 'A depth scale etched on the blade for planting bulbs, and an ash handle that fits a gloved hand.',
      tags: ['trowel', 'garden tools', 'stainless steel'], attributes: { material: 'stainless steel' },
    },
    {
      name: 'Larch Raised Bed 120 × 80 cm', brand: 'Greenrow', category: 'garden', priceCents: 11900,
      description: 'Untreated Siberian larch that resists rot for years. Ready to fill in an afternoon.',
      tags: ['raised bed', 'planter', 'wood', 'vegetables'], attributes: { material: 'larch', widthCm: 120, depthCm: 80 },
    },
    {
      name: 'Heirloom Tomato Seed Collection', brand: 'Greenrow', category: 'garden', priceCents: 1290,
      description: 'Five open-pollinated varieties, from tiny yellow cherries to fist-sized beefsteaks.',
      tags: ['seeds', 'tomatoes', 'heirloom', 'vegetables'], attributes: { varieties: 5 },
    },
    {
      name: 'Watering Can 5 L', brand: 'Greenrow', category: 'garden', priceCents: 3990,
      description: 'A long spout and a brass rose give seedlings a gentle shower instead of a flood.',
      tags: ['watering can', 'garden'], attributes: { capacityL: 5 },
      variants: colours('Galvanised', 'Sage'),
    },
    {
      name: 'Garden Kneeler and Seat', brand: 'Greenrow', category: 'garden', priceCents: 4490,
      description: 'A thick foam kneeling pad that flips over into a low stool, with handles to push yourself up.',
      tags: ['kneeler', 'garden', 'comfort'], attributes: { maxLoadKg: 150 },
    },
    {
      name: 'Solar String Lights 10 m', brand: 'Tern Outdoor', category: 'garden', priceCents: 2490,
      description: 'Fifty warm-white bulbs that switch on at dusk from a day of sunshine, no socket needed.',
      tags: ['lights', 'solar', 'garden', 'outdoor lighting'], attributes: { lengthM: 10, bulbs: 50 },
    },
  ],
};
