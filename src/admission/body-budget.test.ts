import { describe, expect, it } from "vitest";
import { BodyBudget } from "./body-budget.js";

describe("BodyBudget", () => {
  it("refuses what does not fit and takes it again once released", () => {
    const budget = new BodyBudget(10);
    expect(budget.tryReserve(6)).toBe(true);
    expect(budget.tryReserve(5)).toBe(false);
    expect(budget.inUse).toBe(6);
    expect(budget.tryReserve(4)).toBe(true);
    budget.release(6);
    expect(budget.tryReserve(5)).toBe(true);
    expect(budget.inUse).toBe(9);
  });

  it("never goes below zero and rejects a budget of nothing", () => {
    const budget = new BodyBudget(1);
    budget.release(5);
    expect(budget.inUse).toBe(0);
    expect(() => new BodyBudget(0)).toThrow(/more than 0/);
  });
});
