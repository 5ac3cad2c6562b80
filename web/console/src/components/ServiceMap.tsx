// The service map drawn: services as boxes coloured by health, calls as arrows (dashed for events, red and
// thick when failing, labelled with their rate, p99 or error ratio). It is one image to assistive
// technology, named by a summary: the page lists the same services and calls as a list and a table, which
// are what a keyboard uses; here a click on a service or a failing call is a shortcut. It scrolls sideways
// in its box when it is wider than the screen.

import { useId } from 'react';
import { plural } from '../format.ts';
import {
  healthText,
  isFailing,
  LABEL_LINE,
  nodeDetail,
  type MapLayout,
  type PlacedEdge,
  type PlacedNode,
} from '../service-map.ts';
import type { MapEdge } from '../telemetry.ts';

interface Props {
  layout: MapLayout;
  onService(name: string): void;
  onFailingCall(edge: MapEdge): void;
}

function summaryOf(layout: MapLayout): string {
  const unhealthy = layout.nodes.filter((n) => n.health === 'unhealthy').length;
  const failing = layout.edges.filter((e) => isFailing(e.edge)).length;
  return (
    `Service map: ${plural(layout.nodes.length, 'service', 'services')} (${unhealthy} unhealthy), ` +
    `${plural(layout.edges.length, 'call', 'calls')} (${failing} failing).`
  );
}

function Node({ node, onService }: { node: PlacedNode; onService(name: string): void }) {
  const middle = node.x + node.width / 2;
  return (
    <g className={`map-node ${node.health}`} onClick={() => onService(node.name)}>
      <title>{`${node.name}: ${healthText(node)}. Click for its metrics.`}</title>
      <rect x={node.x} y={node.y} width={node.width} height={node.height} rx={6} />
      <text x={middle} y={node.y + 21} textAnchor="middle" className="map-node-name">
        {node.name}
      </text>
      <text x={middle} y={node.y + 39} textAnchor="middle" className="map-node-detail">
        {nodeDetail(node)}
      </text>
    </g>
  );
}

function Call({ placed, markerId, onFailingCall }: { placed: PlacedEdge; markerId: string; onFailingCall(edge: MapEdge): void }) {
  const { edge } = placed;
  const failing = isFailing(edge);
  const eventOnly = !edge.via.includes('http');
  const className = `map-edge${failing ? ' failing' : ''}${eventOnly ? ' event' : ''}`;
  // A back-edge's path runs from its callee: the arrow is at the start.
  const back = placed.shape === 'back';
  const arrow = `url(#${markerId}${failing ? '-failing' : ''})`;
  return (
    <g className={className} onClick={failing ? () => onFailingCall(edge) : undefined}>
      <title>{`${edge.caller} → ${edge.callee}${failing ? ': failing. Click for its failed requests.' : ''}`}</title>
      <path
        d={placed.path}
        className="map-edge-line"
        markerStart={back ? arrow : undefined}
        markerEnd={back ? undefined : arrow}
      />
      {failing && <path d={placed.path} className="map-edge-hit" />}
    </g>
  );
}

function CallLabel({ placed, onFailingCall }: { placed: PlacedEdge; onFailingCall(edge: MapEdge): void }) {
  const lines = placed.label;
  if (lines.length === 0) return null;
  const failing = isFailing(placed.edge);
  const top = placed.labelY - ((lines.length - 1) * LABEL_LINE) / 2;
  return (
    <text
      className={`map-label${failing ? ' failing' : ''}`}
      textAnchor="middle"
      dominantBaseline="middle"
      onClick={failing ? () => onFailingCall(placed.edge) : undefined}
    >
      {lines.map((line, i) => (
        <tspan key={i} x={placed.labelX} y={top + i * LABEL_LINE} className={failing && i === 0 ? 'map-label-error' : undefined}>
          {line}
        </tspan>
      ))}
    </text>
  );
}

export function ServiceMap({ layout, onService, onFailingCall }: Props) {
  // useId's characters are not all allowed in url(#…).
  const id = `map${useId().replace(/[^A-Za-z0-9_-]/g, '')}`;
  const marker = (suffix: string) => (
    <marker
      id={`${id}-arrow${suffix}`}
      viewBox="0 0 10 10"
      refX={9}
      refY={5}
      markerUnits="userSpaceOnUse"
      markerWidth={suffix ? 12 : 9}
      markerHeight={suffix ? 12 : 9}
      orient="auto-start-reverse"
    >
      <path d="M 0 0 L 10 5 L 0 10 z" className={`map-arrow${suffix ? ' failing' : ''}`} />
    </marker>
  );
  return (
    // Focusable, so that a keyboard can scroll it when it is wider than the screen.
    <div className="map-scroll" role="region" aria-label="Service map" tabIndex={0}>
      <svg
        className="map"
        role="img"
        aria-labelledby={`${id}-title`}
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
      >
        <title id={`${id}-title`}>{summaryOf(layout)}</title>
        <defs>
          {marker('')}
          {marker('-failing')}
        </defs>
        {layout.edges.map((placed) => (
          <Call
            key={`${placed.edge.caller}\u0000${placed.edge.callee}`}
            placed={placed}
            markerId={`${id}-arrow`}
            onFailingCall={onFailingCall}
          />
        ))}
        {layout.nodes.map((node) => (
          <Node key={node.name} node={node} onService={onService} />
        ))}
        {layout.edges.map((placed) => (
          <CallLabel key={`${placed.edge.caller}\u0000${placed.edge.callee}`} placed={placed} onFailingCall={onFailingCall} />
        ))}
      </svg>
    </div>
  );
}
