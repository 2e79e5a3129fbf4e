import { summaryBase, summaryCutoffOffset } from './summary-plan';

describe('summary plan', () => {
  const trigger = { triggerItems: 40, keepItems: 20 };

  it('asks for nothing until the items after the base exceed the trigger', () => {
    expect(summaryCutoffOffset(0, trigger)).toBeNull();
    expect(summaryCutoffOffset(40, trigger)).toBeNull();
    expect(summaryCutoffOffset(41, trigger)).toBe(20);
  });

  it('never asks when the trigger is 0 (off)', () => {
    expect(summaryCutoffOffset(1000, { triggerItems: 0, keepItems: 0 })).toBeNull();
  });

  it('counts from the furthest of the stored summary and the one already asked for', () => {
    expect(summaryBase(null, 0)).toBe(0);
    expect(summaryBase(21, 0)).toBe(21);
    expect(summaryBase(21, 35)).toBe(35);
    expect(summaryBase(40, 35)).toBe(40);
  });
});
