namespace Maskbench.Attacks;

/// <summary>The norm that bounds a perturbation δ = x_adv − x.</summary>
public enum Norm
{
    /// <summary>‖δ‖∞ ≤ ε: every input value moves by at most ε (the paper's threat model).</summary>
    Linf,
    /// <summary>‖δ‖₂ ≤ ε over all values of one example.</summary>
    L2,
}

/// <summary>Number format of the model's forward and backward passes during an attack.</summary>
public enum Precision
{
    Fp32,
    /// <summary>
    /// The model runs in bfloat16 while the attack searches; projections and adversarial inputs stay float32, and the
    /// final fooled/not decision is always made by the float32 model.
    /// </summary>
    Bf16,
}
