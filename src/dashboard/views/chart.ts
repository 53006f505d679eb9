/**
 * One chart as inline SVG: bars and/or a line, with numbers computed in
 * charts.ts. Only numbers and fixed labels reach the SVG attributes.
 */
export const chart = `<figure>
<svg viewBox="0 0 {{width}} {{height}}" width="{{width}}" height="{{height}}" role="img" aria-label="{{label}}">
  <title>{{label}}</title>
  {{#each gridLines}}<line x1="{{../left}}" x2="{{../right}}" y1="{{y}}" y2="{{y}}" stroke="#e3e6ea"/><text x="{{../textX}}" y="{{textY}}" font-size="10" fill="#6b7682" text-anchor="end">{{value}}</text>{{/each}}
  {{#each series}}
    {{#each bars}}<rect x="{{x}}" y="{{y}}" width="{{w}}" height="{{h}}" fill="{{../color}}"><title>{{title}}</title></rect>{{/each}}
    {{#if points}}<polyline points="{{points}}" fill="none" stroke="{{color}}" stroke-width="2"/>{{/if}}
  {{/each}}
  {{#each ticks}}<text x="{{x}}" y="{{../tickY}}" font-size="10" fill="#6b7682" text-anchor="middle">{{text}}</text>{{/each}}
</svg>
<figcaption>{{label}}{{#each series}} · <span style="color: {{color}}">■</span> {{name}}{{/each}}</figcaption>
</figure>
`
