// Seed products of the Apparel department.

import { colours, type TemplateFile } from './templates.ts';

export const apparelProducts: TemplateFile = {
  skuPrefix: 'APP',
  templates: [
    {
      name: 'Merino Crew T-Shirt', brand: 'Woolhouse', category: 'apparel', priceCents: 5900,
      description: '150 g/m² merino that stays fresh through days of travel and feels soft rather than scratchy.',
      tags: ['t-shirt', 'merino', 'base layer'], attributes: { material: 'merino wool' },
      variants: colours('Black', 'Navy', 'Oatmeal'),
    },
    {
      name: 'Organic Cotton Hoodie', brand: 'Fairloom', category: 'apparel', priceCents: 7900,
      description: 'Heavyweight brushed-back fleece in certified organic cotton, with a hood that does not collapse.',
      tags: ['hoodie', 'organic cotton', 'sweatshirt'], attributes: { material: 'organic cotton' },
      variants: colours('Heather Grey', 'Forest'),
    },
    {
      name: 'Slim Selvedge Jeans', brand: 'Coastline Denim', category: 'apparel', priceCents: 12900,
      description: '14 oz Japanese selvedge denim that fades to match how you wear it, with chain-stitched hems.',
      tags: ['jeans', 'denim', 'selvedge'], attributes: { material: 'cotton denim', weightOz: 14 },
      variants: [
        { label: 'Raw Indigo', attributes: { colour: 'raw indigo' } },
        { label: 'Rinse', attributes: { colour: 'rinse' }, priceCents: 11900 },
      ],
    },
    {
      name: 'Waterproof Shell Jacket', brand: 'Tern Outdoor', category: 'apparel', priceCents: 18900,
      description: 'Three-layer fabric rated to 20,000 mm, taped seams, pit zips and a hood that turns with your head.',
      tags: ['jacket', 'waterproof', 'rain', 'hiking'], attributes: { waterproofMm: 20000 },
      variants: colours('Black', 'Ember'),
    },
    {
      name: 'Lambswool Beanie', brand: 'Woolhouse', category: 'apparel', priceCents: 2490,
      description: 'A deep turn-up in soft Scottish lambswool, long enough to cover the ears.',
      tags: ['beanie', 'hat', 'wool'], attributes: { material: 'lambswool' },
      variants: colours('Mustard', 'Charcoal'),
    },
    {
      name: 'Merino Hiking Socks, 3 Pairs', brand: 'Woolhouse', category: 'apparel', priceCents: 2990,
      description: 'Cushioned where boots rub and thin where they do not; they dry overnight in a hut.',
      tags: ['socks', 'merino', 'hiking'], attributes: { material: 'merino wool', pairs: 3 },
    },
    {
      name: 'Relaxed Linen Shirt', brand: 'Fairloom', category: 'apparel', priceCents: 6900,
      description: 'Garment-dyed European linen with mother-of-pearl buttons; it gets better every time it is washed.',
      tags: ['shirt', 'linen', 'summer'], attributes: { material: 'linen' },
      variants: colours('White', 'Sky'),
    },
    {
      name: 'Heavy Canvas Tote Bag', brand: 'Fairloom', category: 'apparel', priceCents: 1990,
      description: 'Twelve-ounce cotton canvas with an inside pocket, strong enough for a week of groceries.',
      tags: ['tote bag', 'canvas', 'bag'], attributes: { material: 'cotton canvas' },
    },
    {
      name: 'Packable Down Vest', brand: 'Tern Outdoor', category: 'apparel', priceCents: 9900,
      description: 'A warm layer under a shell or over a shirt, packing into its own chest pocket.',
      tags: ['vest', 'gilet', 'down', 'packable'], attributes: { fill: '650 fill power down' },
    },
    {
      name: 'Leather Belt 35 mm', brand: 'Coastline Denim', category: 'apparel', priceCents: 4990,
      description: 'Vegetable-tanned full-grain leather with a solid brass buckle, cut from a single strip.',
      tags: ['belt', 'leather'], attributes: { material: 'full-grain leather' },
      variants: colours('Brown', 'Black'),
    },
    {
      name: 'Cashmere Scarf', brand: 'Woolhouse', category: 'apparel', priceCents: 8900,
      description: 'Woven in Scotland from pure cashmere, light enough to wear indoors and warm enough for a station platform.',
      tags: ['scarf', 'cashmere', 'winter'], attributes: { material: 'cashmere' },
    },
    {
      name: 'Canvas Chore Jacket', brand: 'Coastline Denim', category: 'apparel', priceCents: 11900,
      description: 'A French workwear cut in sturdy cotton canvas, with three patch pockets and corozo buttons.',
      tags: ['jacket', 'workwear', 'canvas'], attributes: { material: 'cotton canvas' },
    },
  ],
};
