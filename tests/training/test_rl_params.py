"""An RL run's parameters (rlv/training/params.py; named test_rl_params as tests/pipeline/test_params.py exists):
the split of a step's rollouts over processes and micro-batches, checked by hand for 1, 2 and 8 processes, and
TRL's config built from it."""

import pytest

from rlv.training.params import RLParams, batch_layout


@pytest.mark.parametrize("processes, micro, expected", [
    (1, None, {"per_device_train_batch_size": 128, "gradient_accumulation_steps": 1}),   # the default: one pass
    (1, 32, {"per_device_train_batch_size": 32, "gradient_accumulation_steps": 4}),
    (2, None, {"per_device_train_batch_size": 64, "gradient_accumulation_steps": 1}),
    (2, 16, {"per_device_train_batch_size": 16, "gradient_accumulation_steps": 4}),
    (8, None, {"per_device_train_batch_size": 16, "gradient_accumulation_steps": 1}),
    (8, 4, {"per_device_train_batch_size": 4, "gradient_accumulation_steps": 4}),
])
def test_a_steps_rollouts_split_over_processes_and_micro_batches(processes, micro, expected):
    layout = batch_layout(16, 8, processes, micro)  # 16 prompts x 8 = 128 rollouts a step
    assert layout == {**expected, "generation_batch_size": 128}
    # every rollout is run once a step: micro x accumulation x processes = the step's rollouts
    assert layout["per_device_train_batch_size"] * layout["gradient_accumulation_steps"] * processes == 128


def test_the_paper_configs_step_fits_its_stated_split():
    # config/paper.yaml: 128 prompts x 8, 8 GPUs, micro-batches of 8: 16 accumulation steps per GPU
    assert batch_layout(128, 8, 8, 8) == {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 16,
                                          "generation_batch_size": 1024}


@pytest.mark.parametrize("processes, micro, message", [
    (3, None, "128 rollouts do not split over 3 processes"),
    (2, 48, "micro_batch_size 48 does not divide a process's 64 rollouts"),
])
def test_an_uneven_split_is_named(processes, micro, message):
    with pytest.raises(ValueError, match=message):
        batch_layout(16, 8, processes, micro)


def test_trl_gets_the_split_and_one_generation_per_step(monkeypatch, tmp_path):
    from rlv.training.run import trl_config
    monkeypatch.setenv("WORLD_SIZE", "1")
    params = RLParams(trainer="grpo", verify_coef=1.0, steps=2, learning_rate=1e-3, prompts_per_step=4,
                      num_generations=4, max_completion_length=8, temperature=1.0, seed=0, micro_batch_size=4,
                      gradient_checkpointing=True, device="cpu")
    config = trl_config(params, str(tmp_path))
    assert (config.per_device_train_batch_size, config.gradient_accumulation_steps) == (4, 4)
    assert config.generation_batch_size == 16 and config.steps_per_generation == 4  # one generation per step
    assert config.gradient_checkpointing and config.use_cpu and not config.bf16
