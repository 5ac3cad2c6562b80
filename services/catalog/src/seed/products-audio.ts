// Seed products of the Audio department (headphones, speakers and hi-fi).

import { colours, type TemplateFile } from './templates.ts';

export const audioProducts: TemplateFile = {
  skuPrefix: 'AUD',
  templates: [
    {
      name: 'Wireless Noise-Cancelling Headphones', brand: 'Sonder Audio', category: 'headphones', priceCents: 29900,
      description: 'Adaptive noise cancelling that quiets trains and open offices, 40 hours of battery and multipoint pairing for phone and laptop.',
      tags: ['headphones', 'noise cancelling', 'bluetooth', 'over ear'], attributes: { batteryHours: 40, wireless: true },
      variants: colours('Black', 'Sand'),
    },
    {
      name: 'True Wireless Earbuds', brand: 'Sonder Audio', category: 'headphones', priceCents: 14900,
      description: 'IPX4 sweat resistance, a wireless charging case and six sizes of ear tip for a seal that shuts out the bus.',
      tags: ['earbuds', 'true wireless', 'bluetooth', 'noise cancelling'], attributes: { batteryHours: 8, wireless: true },
      variants: colours('Black', 'White'),
    },
    {
      name: 'Open-Back Studio Headphones', brand: 'Halcyon Sound', category: 'headphones', priceCents: 18900,
      description: 'A wide, natural soundstage for mixing and long listening sessions. Replaceable velour pads and a detachable cable.',
      tags: ['headphones', 'open back', 'studio', 'wired'], attributes: { impedanceOhm: 80, wireless: false },
    },
    {
      name: 'Closed-Back Monitoring Headphones', brand: 'Halcyon Sound', category: 'headphones', priceCents: 9900,
      description: 'Flat, honest sound and good isolation for recording, with a coiled cable that reaches across the studio.',
      tags: ['headphones', 'closed back', 'studio', 'monitoring'], attributes: { impedanceOhm: 32, wireless: false },
    },
    {
      name: 'Kids\' Volume-Limited Headphones', brand: 'Sonder Audio', category: 'headphones', priceCents: 3490,
      description: 'Capped at 85 dB to protect young ears, with a bendable headband that survives being sat on.',
      tags: ['headphones', 'kids', 'volume limited'], attributes: { maxDb: 85, wireless: false },
      variants: colours('Blue', 'Coral'),
    },
    {
      name: 'Sport Earbuds with Ear Hooks', brand: 'Sonder Audio', category: 'headphones', priceCents: 8900,
      description: 'Flexible hooks keep them in place on a trail run, and the controls work with sweaty fingers.',
      tags: ['earbuds', 'sport', 'running', 'bluetooth'], attributes: { batteryHours: 10, wireless: true },
    },
    {
      name: 'Portable Bluetooth Speaker', brand: 'Basswood', category: 'speakers', priceCents: 7900,
      description: 'Waterproof and dustproof to IP67, it floats and plays for 15 hours. Pair two for stereo.',
      tags: ['speaker', 'bluetooth', 'portable', 'waterproof'], attributes: { batteryHours: 15 },
      variants: colours('Charcoal', 'Teal'),
    },
    {
      name: 'Bookshelf Speakers, Pair', brand: 'Basswood', category: 'speakers', priceCents: 34900,
      description: 'A 13 cm paper-cone woofer and a silk-dome tweeter in a walnut-veneer cabinet. Warm, detailed and easy to drive.',
      tags: ['speakers', 'bookshelf', 'hifi', 'passive'], attributes: { wooferCm: 13, finish: 'walnut' },
    },
    {
      name: 'Wi-Fi Smart Speaker', brand: 'Basswood', category: 'speakers', priceCents: 19900,
      description: 'Streams over Wi-Fi to every room at once and works with AirPlay 2 and Chromecast.',
      tags: ['speaker', 'wifi', 'multiroom', 'airplay'], attributes: { wireless: true },
    },
    {
      name: 'Soundbar 3.1 with Subwoofer', brand: 'Basswood', category: 'speakers', priceCents: 44900,
      description: 'A dedicated centre channel keeps dialogue clear even at low volume, and HDMI eARC means one remote for everything.',
      tags: ['soundbar', 'tv', 'dolby atmos', 'subwoofer'], attributes: { channels: '3.1' },
    },
    {
      name: 'Portable DAB+ Radio', brand: 'Basswood', category: 'speakers', priceCents: 8900,
      description: 'DAB+ and FM with forty presets, a kitchen timer and a battery that lasts a week of breakfasts.',
      tags: ['radio', 'dab', 'fm', 'portable'], attributes: { presets: 40 },
    },
    {
      name: 'Belt-Drive Turntable with Preamp', brand: 'Halcyon Sound', category: 'audio', priceCents: 24900,
      description: 'An aluminium platter and a switchable phono stage, so it plugs straight into powered speakers or an amplifier.',
      tags: ['turntable', 'vinyl', 'record player'], attributes: { speeds: '33/45' },
    },
    {
      name: 'USB Condenser Microphone', brand: 'Halcyon Sound', category: 'audio', priceCents: 12900,
      description: 'Cardioid pickup, a headphone jack for zero-latency monitoring and a mute button that glows red.',
      tags: ['microphone', 'usb', 'podcast', 'streaming'], attributes: { pattern: 'cardioid' },
    },
    {
      name: 'Desktop DAC and Headphone Amp', brand: 'Halcyon Sound', category: 'audio', priceCents: 15900,
      description: 'A clean 32-bit converter and enough power for hungry planar headphones, in a box the size of a deck of cards.',
      tags: ['dac', 'headphone amplifier', 'hifi'], attributes: { bitDepth: 32 },
    },
    {
      name: 'Speaker Stands 60 cm, Pair', brand: 'Basswood', category: 'audio', priceCents: 12900,
      description: 'Sand-fillable steel columns that lift bookshelf speakers to ear height and stop the floor from booming.',
      tags: ['speaker stands', 'hifi'], attributes: { heightCm: 60 },
    },
    {
      name: 'Oak Headphone Stand', brand: 'Sonder Audio', category: 'audio', priceCents: 3490,
      description: 'Solid oak with a felt-lined cradle that keeps the headband from stretching.',
      tags: ['headphone stand', 'wood'], attributes: { material: 'oak' },
    },
    {
      name: 'Braided 3.5 mm Audio Cable 1.5 m', brand: 'Halcyon Sound', category: 'audio', priceCents: 1290,
      description: 'Gold-plated plugs and a nylon braid that does not tangle in a bag.',
      tags: ['cable', 'aux', 'mini jack'], attributes: { lengthM: 1.5 },
    },
  ],
};
