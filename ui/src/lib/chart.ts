import {
  Chart, LineController, LineElement, PointElement, LinearScale, CategoryScale, BarController, BarElement, Tooltip, Legend,
} from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, BarController, BarElement, Tooltip, Legend);

export { Chart };

export function cssVar(name: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export const PALETTE = ['#2f6fde', '#e0662a', '#2a9d5b', '#9b51e0', '#d6a21e', '#1fa2b8', '#d64570', '#6b7a8f', '#8c6d3f', '#4a9c2f'];
