import { OutageLog } from '../../../src/common/outage-log';

describe('OutageLog: one line when a dependency goes, one when it is back', () => {
  const make = () => {
    const lines: string[] = [];
    const log = new OutageLog({ warn: (m: string) => lines.push(`warn ${m}`), log: (m: string) => lines.push(`log ${m}`) } as never, 'Redis is unreachable', 'Redis is back');
    return { log, lines };
  };

  it('says nothing while all is well, and nothing on an "up" without an outage', () => {
    const { log, lines } = make();
    log.up(1000);
    expect(lines).toEqual([]);
  });

  it('turns a burst of failures into one warning, and the recovery into one line with duration and count', () => {
    const { log, lines } = make();
    for (let i = 0; i < 104; i++) log.down('connect ECONNREFUSED 127.0.0.1:6379', 10_000 + i * 300);
    log.up(45_000);
    log.up(46_000);
    expect(lines).toEqual([
      'warn Redis is unreachable (connect ECONNREFUSED 127.0.0.1:6379); retrying quietly until it is back',
      'log Redis is back after 35 s (104 failed attempts)',
    ]);
  });

  it('reports each outage of its own', () => {
    const { log, lines } = make();
    log.down('a', 0);
    log.up(1000);
    log.down('b', 2000);
    log.down('b', 2500);
    log.up(4000);
    expect(lines).toEqual([
      'warn Redis is unreachable (a); retrying quietly until it is back',
      'log Redis is back after 1 s (1 failed attempts)',
      'warn Redis is unreachable (b); retrying quietly until it is back',
      'log Redis is back after 2 s (2 failed attempts)',
    ]);
  });
});
