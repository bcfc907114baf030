import { DEFAULT_TICK_SECONDS, MINUTES_PER_DAY } from './calibration';

/** Maps ticks to simulated time of day. Pure: no wall clock enters the model (docs/design.md#time-shards-and-determinism). */
export class SimulationClock {
  constructor(
    readonly tickSeconds: number = DEFAULT_TICK_SECONDS,
    /** Simulated minute of the day at tick 0 (0 = midnight). */
    readonly startMinuteOfDay: number = 0,
  ) {
    if (!(Number.isInteger(tickSeconds) && tickSeconds >= 1 && tickSeconds <= 3600)) {
      throw new RangeError(`tickSeconds must be an integer in 1..3600, got ${tickSeconds}`);
    }
    if (!(Number.isInteger(startMinuteOfDay) && startMinuteOfDay >= 0 && startMinuteOfDay < MINUTES_PER_DAY)) {
      throw new RangeError(`startMinuteOfDay must be an integer in 0..1439, got ${startMinuteOfDay}`);
    }
  }

  minuteOfDay(tick: number): number {
    return (this.startMinuteOfDay + Math.floor((tick * this.tickSeconds) / 60)) % MINUTES_PER_DAY;
  }

  hourOfDay(tick: number): number {
    return Math.floor(this.minuteOfDay(tick) / 60);
  }

  ticksFor(minutes: number): number {
    return Math.max(1, Math.round((minutes * 60) / this.tickSeconds));
  }
}
