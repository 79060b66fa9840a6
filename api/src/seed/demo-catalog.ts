import type { CreateProductBody } from '@vitrine/contracts';

/**
 * A demo catalog for a Korean storefront: names, descriptions, KRW prices, stock and an SVG image
 * per product, all generated offline from a seeded PRNG, so the same count gives the same catalog.
 */

interface Category {
  name: string;
  /** Hue of the image background. */
  hue: number;
  /** White shapes drawn on a 400×300 canvas. */
  glyph: string;
  items: { noun: string; variants: string[]; price: [number, number] }[];
  features: string[];
}

const BRANDS = ['소담', '한결', '모노웍스', '바른생활', '온새미로', '다온', '누리', '마루', '하늘빛', '오롯'];
const MODIFIERS = [
  '프리미엄',
  '데일리',
  '베이직',
  '휴대용',
  '친환경',
  '대용량',
  '미니',
  '시그니처',
  '클래식',
  '스탠다드',
];
const COLORS = ['블랙', '화이트', '베이지', '네이비', '그레이', '세이지 그린', '버터 옐로우', '라벤더'];
const CLOSINGS = [
  '오후 2시 이전 주문은 당일 출고됩니다.',
  '제주 및 도서산간 지역은 추가 배송비가 발생할 수 있습니다.',
  '단순 변심에 의한 교환·반품은 수령 후 7일 이내 가능합니다.',
  '선물 포장을 무료로 제공합니다.',
  '3만 원 이상 구매 시 무료배송입니다.',
];

const CATEGORIES: Category[] = [
  {
    name: '디지털',
    hue: 215,
    glyph:
      "<rect x='140' y='80' width='120' height='140' rx='22' fill='#fff' fill-opacity='.9'/><circle cx='200' cy='195' r='9' fill='#000' fill-opacity='.15'/>",
    items: [
      { noun: '무선 이어폰', variants: ['노이즈 캔슬링', '오픈형', '커널형'], price: [29000, 259000] },
      { noun: '블루투스 스피커', variants: ['방수', '캠핑용', '20W'], price: [25000, 189000] },
      { noun: '보조배터리', variants: ['10000mAh', '20000mAh', '맥세이프'], price: [15000, 69000] },
      { noun: '기계식 키보드', variants: ['적축', '갈축', '저소음 적축'], price: [49000, 219000] },
      { noun: '무선 마우스', variants: ['저소음', '버티컬', '게이밍'], price: [12000, 129000] },
      { noun: 'USB-C 고속 충전기', variants: ['35W', '65W', '2포트'], price: [15000, 59000] },
    ],
    features: [
      'KC 인증을 받은 제품으로 안심하고 사용할 수 있습니다.',
      '최신 블루투스 5.3을 지원해 연결이 빠르고 끊김이 적습니다.',
      '한 번 충전으로 하루 종일 넉넉하게 사용합니다.',
      '1년 무상 A/S를 제공합니다.',
    ],
  },
  {
    name: '주방',
    hue: 25,
    glyph:
      "<rect x='145' y='95' width='95' height='115' rx='12' fill='#fff' fill-opacity='.9'/><circle cx='248' cy='150' r='26' fill='none' stroke='#fff' stroke-width='12' stroke-opacity='.9'/>",
    items: [
      { noun: '세라믹 머그컵', variants: ['350ml', '450ml', '2개 세트'], price: [9000, 32000] },
      { noun: '스테인리스 텀블러', variants: ['500ml', '750ml', '빨대형'], price: [15000, 45000] },
      { noun: '무쇠 프라이팬', variants: ['24cm', '28cm', '궁중팬'], price: [29000, 89000] },
      { noun: '전기포트', variants: ['1.2L', '1.7L', '온도조절'], price: [25000, 79000] },
      { noun: '밀폐용기 세트', variants: ['유리 6종', '스테인리스 4종', '전자레인지용'], price: [19000, 59000] },
      { noun: '원목 도마', variants: ['소', '중', '대'], price: [15000, 49000] },
    ],
    features: [
      '식기세척기 사용이 가능합니다.',
      '식품 용기 안전 기준을 통과한 소재만 사용했습니다.',
      '손에 착 감기는 그립감으로 매일 쓰기 편합니다.',
      '열전도율이 높아 요리 시간이 줄어듭니다.',
    ],
  },
  {
    name: '식품',
    hue: 100,
    glyph:
      "<circle cx='200' cy='160' r='62' fill='#fff' fill-opacity='.9'/><ellipse cx='222' cy='88' rx='26' ry='12' fill='#fff' fill-opacity='.75' transform='rotate(-30 222 88)'/>",
    items: [
      { noun: '제주 감귤', variants: ['3kg', '5kg', '10kg'], price: [15000, 45000] },
      { noun: '경북 햇사과', variants: ['3kg', '5kg', '선물세트'], price: [19000, 69000] },
      { noun: '유기농 현미', variants: ['4kg', '10kg'], price: [18000, 49000] },
      { noun: '전라도 포기김치', variants: ['3kg', '5kg', '10kg'], price: [25000, 89000] },
      { noun: '6년근 홍삼 스틱', variants: ['30포', '60포', '100포'], price: [39000, 159000] },
      { noun: '하루 견과 믹스', variants: ['20봉', '50봉', '100봉'], price: [12000, 45000] },
      { noun: '스페셜티 원두', variants: ['200g', '500g', '1kg'], price: [12000, 49000] },
    ],
    features: [
      '산지에서 수확 후 바로 보내 드립니다.',
      '무농약 인증을 받은 농가와 직거래합니다.',
      '냉장 보관 시 더 오래 신선하게 즐길 수 있습니다.',
      'HACCP 인증 시설에서 위생적으로 생산했습니다.',
    ],
  },
  {
    name: '뷰티',
    hue: 330,
    glyph:
      "<rect x='165' y='110' width='70' height='110' rx='16' fill='#fff' fill-opacity='.9'/><rect x='185' y='78' width='30' height='30' rx='6' fill='#fff' fill-opacity='.75'/>",
    items: [
      { noun: '수분 크림', variants: ['50ml', '100ml', '리필'], price: [15000, 58000] },
      { noun: '선크림 SPF50+', variants: ['50ml', '톤업', '무기자차'], price: [12000, 32000] },
      { noun: '약산성 클렌징 폼', variants: ['150ml', '200ml'], price: [8000, 22000] },
      { noun: '시트 마스크팩', variants: ['10매', '30매'], price: [9000, 29000] },
      { noun: '토너 패드', variants: ['70매', '120매'], price: [15000, 32000] },
    ],
    features: [
      '민감한 피부도 부담 없이 쓸 수 있는 저자극 포뮬러입니다.',
      '피부과 테스트를 완료했습니다.',
      '끈적임 없이 산뜻하게 흡수됩니다.',
      '동물 실험을 하지 않은 비건 인증 제품입니다.',
    ],
  },
  {
    name: '패션',
    hue: 265,
    glyph:
      "<path d='M150 95 L185 80 Q200 95 215 80 L250 95 L272 130 L245 142 L245 222 L155 222 L155 142 L128 130 Z' fill='#fff' fill-opacity='.9'/>",
    items: [
      { noun: '오버핏 후드티', variants: ['S', 'M', 'L', 'XL'], price: [29000, 79000] },
      { noun: '린넨 셔츠', variants: ['S', 'M', 'L'], price: [35000, 89000] },
      { noun: '와이드 슬랙스', variants: ['S', 'M', 'L'], price: [32000, 79000] },
      { noun: '캔버스 스니커즈', variants: ['240', '255', '270'], price: [39000, 99000] },
      { noun: '울 머플러', variants: ['체크', '솔리드'], price: [25000, 69000] },
      { noun: '가죽 카드지갑', variants: ['소가죽', '비건 레더'], price: [19000, 89000] },
    ],
    features: [
      '사계절 내내 편하게 입기 좋은 두께입니다.',
      '세탁 후에도 변형이 적은 원단을 사용했습니다.',
      '국내 공장에서 꼼꼼하게 봉제했습니다.',
      '모델 키 178cm, L 사이즈 착용 기준입니다.',
    ],
  },
  {
    name: '리빙',
    hue: 45,
    glyph: "<path d='M200 70 L290 145 L268 145 L268 225 L132 225 L132 145 L110 145 Z' fill='#fff' fill-opacity='.9'/>",
    items: [
      { noun: '극세사 이불', variants: ['싱글', '퀸', '킹'], price: [39000, 129000] },
      { noun: '메모리폼 베개', variants: ['경추형', '일반형'], price: [25000, 79000] },
      { noun: '룸 디퓨저', variants: ['200ml', '500ml', '리필'], price: [15000, 45000] },
      { noun: 'LED 무드등', variants: ['충전식', '타이머형'], price: [15000, 49000] },
      { noun: '규조토 발매트', variants: ['소', '대'], price: [12000, 35000] },
    ],
    features: [
      '집 안 어디에 두어도 잘 어울리는 디자인입니다.',
      '먼지 날림이 적은 소재로 알레르기 걱정을 덜었습니다.',
      '간편하게 세탁할 수 있습니다.',
      '친환경 포장으로 배송됩니다.',
    ],
  },
  {
    name: '스포츠',
    hue: 160,
    glyph:
      "<rect x='110' y='125' width='30' height='50' rx='6' fill='#fff' fill-opacity='.9'/><rect x='260' y='125' width='30' height='50' rx='6' fill='#fff' fill-opacity='.9'/><rect x='140' y='142' width='120' height='16' rx='6' fill='#fff' fill-opacity='.9'/>",
    items: [
      { noun: 'TPE 요가 매트', variants: ['6mm', '8mm', '10mm'], price: [19000, 59000] },
      { noun: '폼롤러', variants: ['33cm', '45cm', '90cm'], price: [12000, 39000] },
      { noun: '러닝 양말', variants: ['3켤레', '5켤레'], price: [9000, 25000] },
      { noun: '카본 등산 스틱', variants: ['2개 1세트', '접이식'], price: [39000, 129000] },
      { noun: '육각 덤벨', variants: ['2kg', '5kg', '10kg'], price: [15000, 69000] },
    ],
    features: [
      '미끄럼 방지 설계로 안정적으로 운동할 수 있습니다.',
      '가볍고 튼튼해 휴대가 편합니다.',
      '땀이 빨리 마르는 기능성 소재입니다.',
      '초보자부터 숙련자까지 두루 쓰기 좋습니다.',
    ],
  },
];

/** mulberry32: small, fast and good enough for demo data; seeded so runs are repeatable. */
function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const between = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return { next, pick, between };
}

/** Prices as shops write them: ₩12,900, never ₩12,873. */
const shopPrice = (raw: number) => Math.max(1_000, Math.round(raw / 1_000) * 1_000 - 100);

/** An inline SVG as a data URI: works offline and fits the 2048-character image column. */
export function productImage(hue: number, glyph: string): string {
  const svg =
    `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 400 300'>` +
    `<defs><linearGradient id='g' x1='0' y1='0' x2='1' y2='1'>` +
    `<stop offset='0' stop-color='hsl(${hue},70%,72%)'/><stop offset='1' stop-color='hsl(${(hue + 40) % 360},65%,52%)'/>` +
    `</linearGradient></defs><rect width='400' height='300' fill='url(#g)'/>${glyph}</svg>`;
  return `data:image/svg+xml,${svg.replace(/[#<>%]/g, (char) => encodeURIComponent(char))}`;
}

/** `count` products, the same ones for the same count and seed. */
export function demoProducts(count: number, seed = 20_251_124): CreateProductBody[] {
  const random = randomSource(seed);
  const products: CreateProductBody[] = [];
  for (let index = 0; index < count; index++) {
    const category = CATEGORIES[index % CATEGORIES.length]!;
    const item = random.pick(category.items);
    const brand = random.pick(BRANDS);
    const modifier = random.pick(MODIFIERS);
    const variant = random.pick(item.variants);
    const color = category.name === '패션' || category.name === '리빙' ? ` ${random.pick(COLORS)}` : '';
    const [low, high] = item.price;
    const features = [random.pick(category.features), random.pick(category.features)];
    const soldOut = random.next() < 0.05;
    const scarce = random.next() < 0.1;
    products.push({
      name: `[${brand}] ${modifier} ${item.noun} ${variant}${color}`,
      description:
        `${brand}의 ${modifier} ${item.noun}(${variant})입니다. ` +
        `${[...new Set(features)].join(' ')} ${random.pick(CLOSINGS)}`,
      price: shopPrice(random.between(low, high)),
      currency: 'KRW',
      stock: soldOut ? 0 : scarce ? random.between(1, 5) : random.between(10, 500),
      imageUrl: productImage((category.hue + random.between(-15, 15) + 360) % 360, category.glyph),
    });
  }
  return products;
}
