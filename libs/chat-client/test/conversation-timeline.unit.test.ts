import { ConversationTimeline } from '../src/conversation-timeline';
import { message, range, seqs } from './support/messages';

describe('ConversationTimeline', () => {
  it('when the first new message arrives, then it starts the watermark and is handed out', () => {
    const timeline = new ConversationTimeline('a_b');
    expect(seqs(timeline.addNew([message(7)]))).toEqual([7]);
    expect(timeline.watermark).toBe(7);
    expect(timeline.gap()).toBeUndefined();
  });

  it('when a message arrives again (same id), then it is not handed out twice', () => {
    const timeline = new ConversationTimeline('a_b');
    timeline.addNew([message(1)]);
    expect(timeline.addNew([message(1)])).toEqual([]);
    expect(timeline.addNew([message(1, { read: true })])).toEqual([]);
    expect(seqs(timeline.messages())).toEqual([1]);
  });

  it('when a message comes ahead of a gap, then it is held until the gap is filled and all are handed out in seq order', () => {
    const timeline = new ConversationTimeline('a_b');
    timeline.addNew([message(1)]);
    expect(timeline.addNew([message(4), message(3)])).toEqual([]);
    expect(timeline.gap()).toEqual({ afterSeq: 1, beforeSeq: 3 });
    expect(seqs(timeline.addNew([message(2)]))).toEqual([2, 3, 4]);
    expect(timeline.gap()).toBeUndefined();
    expect(timeline.watermark).toBe(4);
  });

  it('when a batch arrives shuffled and with repeats, then each is handed out once, in order', () => {
    const timeline = new ConversationTimeline('a_b');
    timeline.addHistory([], { latest: true });
    const batch = [5, 2, 2, 1, 4, 3, 5, 6].map((seq) => message(seq));
    expect(seqs(timeline.addNew(batch))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('when a second id claims a seq already held, then it is ignored', () => {
    const timeline = new ConversationTimeline('a_b');
    timeline.addNew([message(1)]);
    expect(timeline.addNew([message(1, { id: 'other' })])).toEqual([]);
    expect(timeline.messages().map((m) => m.id)).toEqual([message(1).id]);
  });

  it('when the newest page of history loads, then it starts the watermark quietly and later messages follow it', () => {
    const timeline = new ConversationTimeline('a_b');
    expect(timeline.addHistory(range(11, 20), { latest: true })).toEqual([]);
    expect(timeline.watermark).toBe(20);
    expect(seqs(timeline.addNew([message(21)]))).toEqual([21]);
    expect(timeline.oldestSeq()).toBe(11);
  });

  it('when an empty conversation is loaded, then its watermark is 0 and a message with seq 2 waits for seq 1', () => {
    const timeline = new ConversationTimeline('a_b');
    timeline.addHistory([], { latest: true });
    expect(timeline.watermark).toBe(0);
    expect(timeline.addNew([message(2)])).toEqual([]);
    expect(timeline.gap()).toEqual({ afterSeq: 0, beforeSeq: 2 });
  });

  it('when a live message came before the newest page, then the page fills in below it quietly and hands out what is newer', () => {
    const timeline = new ConversationTimeline('a_b');
    timeline.addNew([message(20)]);
    expect(seqs(timeline.addHistory(range(18, 22), { latest: true }))).toEqual([21, 22]);
    expect(seqs(timeline.messages())).toEqual([18, 19, 20, 21, 22]);
  });

  it('when older pages load, then they go below the loaded messages in seq order without being handed out', () => {
    const timeline = new ConversationTimeline('a_b');
    timeline.addHistory(range(6, 10), { latest: true });
    expect(timeline.addHistory(range(1, 5))).toEqual([]);
    expect(seqs(timeline.messages())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(timeline.seqOf(message(3).id)).toBe(3);
  });

  it('when an unknown message older than the watermark arrives late, then it joins the history in place and is not handed out', () => {
    const timeline = new ConversationTimeline('a_b');
    timeline.addNew([message(5)]);
    expect(timeline.addNew([message(3)])).toEqual([]);
    expect(seqs(timeline.messages())).toEqual([3, 5]);
  });
});
