import { Histogram, type Registry } from '@chat/observability';

/** The labels of one answered request; `route` is a pattern or a fixed name, never a raw URL. */
export interface RequestLabels {
  method: string;
  route: string;
  status: string;
}

/** What history-service measures; its labels never carry user or conversation ids. */
export interface HistoryMetrics {
  /** Starts timing one request; call the result once with its labels when it is answered. */
  startRequestTimer(): (labels: RequestLabels) => void;
}

/** Registers history-service's metrics on `registry`; once per registry (names must be unique). */
export function createHistoryMetrics(registry: Registry): HistoryMetrics {
  const requestSeconds = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'REST requests by method, route pattern and status, from arrival to the last byte written',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  return {
    startRequestTimer() {
      const end = requestSeconds.startTimer();
      return (labels) => {
        end({ ...labels });
      };
    },
  };
}
