export * from './queue/queue-names';
export * from './queue/inference.jobs';
export * from './queue/inference-errors';
export * from './queue/job-map';
export * from './queue/stream-events';
export * from './openai/chat-completions.dto';
export * from './openai/openai-error';
