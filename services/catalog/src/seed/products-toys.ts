// Seed products of the Toys & Games department.

import { colours, type TemplateFile } from './templates.ts';

export const toyProducts: TemplateFile = {
  skuPrefix: 'TOY',
  templates: [
    {
      name: 'Wooden Rainbow Stacker', brand: 'Little Maple', category: 'toys', priceCents: 3490,
      description: 'Eleven arches finished in water-based paints, for stacking, bridges, tunnels and whatever a toddler invents next.',
      tags: ['wooden toy', 'stacking', 'montessori', 'toddler'], attributes: { material: 'lime wood', ageMin: 1 },
    },
    {
      name: 'Wooden Train Set, 52 Pieces', brand: 'Little Maple', category: 'toys', priceCents: 5990,
      description: 'Beech track with a bridge, a tunnel and magnetic carriages, compatible with the other big wooden railways.',
      tags: ['train set', 'wooden toy', 'beech'], attributes: { material: 'beech', pieces: 52, ageMin: 3 },
    },
    {
      name: 'Birch Balance Bike 12"', brand: 'Little Maple', category: 'toys', priceCents: 8990,
      description: 'A birch plywood frame, puncture-proof tyres and a saddle that rises as your child grows, from about age two.',
      tags: ['balance bike', 'ride on', 'outdoor'], attributes: { material: 'birch plywood', ageMin: 2 },
      variants: colours('Red', 'Mint'),
    },
    {
      name: 'Building Bricks Starter Box, 500 Pieces', brand: 'Brickwise', category: 'toys', priceCents: 2990,
      description: 'Five hundred bricks in thirty colours, with wheels, windows and an idea booklet for rainy afternoons.',
      tags: ['building bricks', 'construction', 'creative'], attributes: { pieces: 500, ageMin: 4 },
    },
    {
      name: 'Marble Run Construction Kit', brand: 'Brickwise', category: 'toys', priceCents: 4490,
      description: '130 pieces including a spiral, a funnel and a lift; the instructions start easy and end ambitious.',
      tags: ['marble run', 'stem', 'construction'], attributes: { pieces: 130, ageMin: 5 },
    },
    {
      name: 'Off-Road Remote Control Car', brand: 'Brickwise', category: 'toys', priceCents: 5490,
      description: 'Four-wheel drive, oil-filled shocks and a rechargeable battery good for twenty minutes of mud.',
      tags: ['remote control', 'rc car', 'outdoor'], attributes: { ageMin: 8 },
    },
    {
      name: 'Plush Fox 30 cm', brand: 'Little Maple', category: 'toys', priceCents: 2490,
      description: 'Made from recycled polyester, machine washable and soft enough for bedtime.',
      tags: ['plush', 'soft toy', 'fox'], attributes: { material: 'recycled polyester', ageMin: 0 },
    },
    {
      name: 'Wooden Play Kitchen', brand: 'Little Maple', category: 'toys', priceCents: 12900,
      description: 'Clicking hob knobs, an oven with a window and a sink that lifts out for real water play.',
      tags: ['play kitchen', 'pretend play', 'wooden toy'], attributes: { material: 'MDF and pine', ageMin: 3 },
    },
    {
      name: 'Harbour at Dusk Jigsaw, 1000 Pieces', brand: 'Puzzlewood', category: 'toys', priceCents: 2190,
      description: 'Thick, linen-finish pieces that click firmly together, with a poster of the picture in the box.',
      tags: ['jigsaw', 'puzzle', '1000 pieces'], attributes: { pieces: 1000, ageMin: 12 },
    },
    {
      name: 'Alpine Meadow Jigsaw, 500 Pieces', brand: 'Puzzlewood', category: 'toys', priceCents: 1690,
      description: 'Wildflowers, a wooden chalet and a lot of blue sky: an evening\'s puzzle for two.',
      tags: ['jigsaw', 'puzzle', '500 pieces'], attributes: { pieces: 500, ageMin: 10 },
    },
    {
      name: 'Wooden Puzzle Map of Europe', brand: 'Puzzlewood', category: 'toys', priceCents: 2990,
      description: 'Each country is its own chunky piece, with capitals printed underneath for checking answers.',
      tags: ['puzzle', 'geography', 'wooden toy'], attributes: { pieces: 45, ageMin: 5 },
    },
    {
      name: 'Magnetic Drawing Board', brand: 'Little Maple', category: 'toys', priceCents: 1990,
      description: 'Draw, slide to erase, draw again: mess-free doodling for car journeys.',
      tags: ['drawing', 'travel toy', 'creative'], attributes: { ageMin: 3 },
    },
    {
      name: 'Crystal Growing Science Kit', brand: 'Brickwise', category: 'toys', priceCents: 2490,
      description: 'Grow seven coloured crystals over a week and learn why they form the shapes they do.',
      tags: ['science kit', 'stem', 'experiments'], attributes: { ageMin: 10 },
    },
    {
      name: 'Delta Kite 140 cm', brand: 'Skylark Kites', category: 'toys', priceCents: 2990,
      description: 'Flies in light winds from 8 km/h, with a fibreglass frame that shrugs off nose-dives.',
      tags: ['kite', 'outdoor'], attributes: { spanCm: 140, ageMin: 6 },
    },
    {
      name: 'Harvest Moon Farm Board Game', brand: 'Meeple & Co', category: 'board-games', priceCents: 3990,
      description: 'Plant, trade and race the seasons to the best harvest. Easy to teach, with enough decisions to keep grown-ups engaged.',
      tags: ['board game', 'family', 'strategy'], attributes: { players: '2-5', playMinutes: 45, ageMin: 8 },
    },
    {
      name: 'Sky Pirates Card Game', brand: 'Meeple & Co', category: 'board-games', priceCents: 1490,
      description: 'Fast, loud and a little mean: steal treasure from airships in rounds of ten minutes.',
      tags: ['card game', 'party', 'family'], attributes: { players: '3-8', playMinutes: 15, ageMin: 7 },
    },
    {
      name: 'Deep Sea Expedition Co-op Game', brand: 'Meeple & Co', category: 'board-games', priceCents: 4490,
      description: 'Work together to map the trench before the oxygen runs out; everyone wins or everyone loses.',
      tags: ['board game', 'cooperative', 'adventure'], attributes: { players: '1-4', playMinutes: 60, ageMin: 10 },
    },
    {
      name: 'Walnut Chess Set', brand: 'Puzzlewood', category: 'board-games', priceCents: 6990,
      description: 'Weighted, felted pieces and a folding walnut and maple board that stores them inside.',
      tags: ['chess', 'classic games', 'wood'], attributes: { players: '2', material: 'walnut', ageMin: 6 },
    },
    {
      name: 'Word Tiles Family Game', brand: 'Meeple & Co', category: 'board-games', priceCents: 2490,
      description: 'Build crossing words from letter tiles against a sand timer; younger players get bonus tiles to even the odds.',
      tags: ['word game', 'family', 'spelling'], attributes: { players: '2-6', playMinutes: 30, ageMin: 8 },
    },
  ],
};
