// Seed products of the Home Office department (furniture, accessories, stationery).

import { colours, type TemplateFile } from './templates.ts';

export const homeOfficeProducts: TemplateFile = {
  skuPrefix: 'OFF',
  templates: [
    {
      name: 'Electric Standing Desk 140 × 70 cm', brand: 'Ergonord', category: 'home-office', priceCents: 44900,
      description: 'Dual motors lift up to 120 kg from 65 to 130 cm in about twenty seconds. Four memory presets and anti-collision detection.',
      tags: ['desk', 'standing desk', 'ergonomic', 'electric'], attributes: { widthCm: 140, depthCm: 70, maxLoadKg: 120 },
      variants: [
        { label: 'Oak Top', attributes: { finish: 'oak veneer' } },
        { label: 'White Top', attributes: { finish: 'white laminate' }, priceCents: 41900 },
      ],
    },
    {
      name: 'Ergonomic Mesh Office Chair', brand: 'Ergonord', category: 'home-office', priceCents: 32900,
      description: 'Adjustable lumbar support, 4D armrests and a breathable mesh back for long working days.',
      tags: ['office chair', 'ergonomic', 'lumbar support'], attributes: { maxLoadKg: 130 },
    },
    {
      name: 'LED Desk Lamp with Wireless Charger', brand: 'Lumina Works', category: 'home-office', priceCents: 7900,
      description: 'Five colour temperatures from a warm 2700 K to daylight 6500 K, flicker free, with a Qi charging pad in the base.',
      tags: ['lamp', 'led', 'desk lamp', 'wireless charging'], attributes: { lumens: 600 },
      variants: colours('Black', 'White'),
    },
    {
      name: 'Single Monitor Arm', brand: 'Deskwell', category: 'home-office', priceCents: 8900,
      description: 'A gas-spring arm for screens from 17 to 32 inches and up to 9 kg, with clamp and grommet mounts.',
      tags: ['monitor arm', 'vesa', 'gas spring'], attributes: { maxLoadKg: 9 },
    },
    {
      name: 'Merino Felt Desk Mat 90 × 40 cm', brand: 'Deskwell', category: 'home-office', priceCents: 2990,
      description: 'Wool felt that quiets the keyboard and gives the mouse a smooth, even glide.',
      tags: ['desk mat', 'felt', 'wool'], attributes: { material: 'merino felt' },
      variants: colours('Grey', 'Charcoal'),
    },
    {
      name: 'Aluminium Laptop Stand', brand: 'Deskwell', category: 'home-office', priceCents: 4990,
      description: 'Raises the screen to eye level in six steps and folds flat enough to slide into a laptop sleeve.',
      tags: ['laptop stand', 'aluminium', 'ergonomic'], attributes: { material: 'aluminium' },
    },
    {
      name: 'Mechanical Keyboard 75%', brand: 'Deskwell', category: 'home-office', priceCents: 11900,
      description: 'Hot-swappable switches, a gasket mount and Bluetooth to three devices. It sounds muted rather than clacky.',
      tags: ['keyboard', 'mechanical', 'bluetooth', 'hot swap'], attributes: { layout: 'ISO' },
      variants: [
        { label: 'Linear Switches', attributes: { switches: 'linear' } },
        { label: 'Tactile Switches', attributes: { switches: 'tactile' } },
      ],
    },
    {
      name: 'Wireless Vertical Mouse', brand: 'Ergonord', category: 'home-office', priceCents: 4490,
      description: 'A 57° grip keeps the forearm in a handshake position and takes the strain off the wrist.',
      tags: ['mouse', 'ergonomic', 'wireless', 'vertical'], attributes: { dpi: 4000 },
    },
    {
      name: 'Under-Desk Cable Tray', brand: 'Deskwell', category: 'home-office', priceCents: 2490,
      description: 'Screws under the desk and swallows power strips and chargers, so the floor stays clear for the vacuum.',
      tags: ['cable management', 'organisation', 'under desk'], attributes: { material: 'powder-coated steel' },
    },
    {
      name: '1080p Webcam with Privacy Shutter', brand: 'Lumina Works', category: 'home-office', priceCents: 6900,
      description: 'Automatic light correction and two noise-cancelling microphones, with a sliding shutter for when the call is over.',
      tags: ['webcam', 'video calls', 'usb-c'], attributes: { resolution: '1080p' },
    },
    {
      name: 'Adjustable Footrest', brand: 'Ergonord', category: 'home-office', priceCents: 3990,
      description: 'Tilts and rises to three heights, with a textured top that massages the soles of your feet as you rock.',
      tags: ['footrest', 'ergonomic'], attributes: { material: 'polypropylene' },
    },
    {
      name: 'Walnut Desk Organiser', brand: 'Deskwell', category: 'home-office', priceCents: 3990,
      description: 'A phone slot, a pen tray and a drawer for the odds and ends that otherwise drift across the desk.',
      tags: ['organiser', 'wood', 'desk'], attributes: { material: 'walnut' },
    },
    {
      name: 'Magnetic Whiteboard 90 × 60 cm', brand: 'Deskwell', category: 'home-office', priceCents: 5490,
      description: 'An enamelled steel surface that wipes clean without ghosting, with four magnets and a pen tray.',
      tags: ['whiteboard', 'magnetic', 'planning'], attributes: { widthCm: 90, heightCm: 60 },
    },
    {
      name: 'Acoustic Wall Panels, Set of 6', brand: 'Deskwell', category: 'home-office', priceCents: 7900,
      description: 'Recycled PET felt panels that soak up echo on video calls. They stick to the wall with removable tape.',
      tags: ['acoustic', 'panels', 'felt'], attributes: { pieces: 6, material: 'recycled PET felt' },
    },
    {
      name: 'Dot Grid Notebook A5', brand: 'Paperfield', category: 'stationery', priceCents: 1690,
      description: '192 numbered pages of 100 gsm paper that takes fountain-pen ink without bleeding, with two ribbon markers.',
      tags: ['notebook', 'dot grid', 'a5', 'fountain pen friendly'], attributes: { pages: 192, paperGsm: 100 },
      variants: colours('Black', 'Forest', 'Terracotta'),
    },
    {
      name: 'Fountain Pen, Medium Nib', brand: 'Paperfield', category: 'stationery', priceCents: 3490,
      description: 'A steel nib that glides from the first stroke, with a converter for bottled ink and a cartridge to get started.',
      tags: ['fountain pen', 'pen', 'writing'], attributes: { nib: 'medium' },
    },
    {
      name: 'Gel Pens, Pack of 10', brand: 'Paperfield', category: 'stationery', priceCents: 890,
      description: '0.5 mm quick-drying ink that does not smudge under a left hand.',
      tags: ['pens', 'gel pen', 'stationery'], attributes: { count: 10, tipMm: 0.5 },
    },
    {
      name: 'Undated Weekly Desk Planner', brand: 'Paperfield', category: 'stationery', priceCents: 1490,
      description: 'Fifty-two tear-off sheets, one week per page, that lie flat beside the keyboard.',
      tags: ['planner', 'weekly', 'undated'], attributes: { sheets: 52 },
    },
  ],
};
