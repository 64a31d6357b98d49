export { coalesceWrites, type CorkableStream } from './coalesce-writes';
