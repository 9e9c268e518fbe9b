"""The seven skill areas and the topics each must cover.

Topic slugs are what the built-in bank uses in each file's `topic` field; user banks may add topics of their own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    id: str
    title: str
    topics: dict[str, str]  # slug -> title


AREAS: dict[str, Area] = {
    a.id: a
    for a in (
        Area(
            "fundamentals",
            "LLM fundamentals",
            {
                "transformer-architecture": "Transformer architecture (attention, multi-head, positional encoding)",
                "pretraining-vs-finetuning": "Pre-training vs fine-tuning",
                "tokenization": "Tokenization (BPE, WordPiece, SentencePiece)",
                "scaling-laws": "Scaling laws and model-size trade-offs",
                "limitations": "Limitations: hallucination, context-window limits, bias",
            },
        ),
        Area(
            "prompting",
            "Prompt engineering",
            {
                "task-prompts": "Prompts for reasoning, summarization, extraction",
                "hallucination-reduction": "Reducing hallucination through prompt structure",
                "prompting-strategies": "Zero-shot vs few-shot vs chain-of-thought",
                "prompt-optimization": "Optimizing prompts for cost, latency, consistency",
            },
        ),
        Area(
            "system_design",
            "System design",
            {
                "rag": "Retrieval-augmented generation",
                "multi-agent": "Multi-agent workflows",
                "tool-use": "Tool-using / function-calling agents",
                "chat-memory": "Chat apps with memory and context management",
                "interview-simulator": "Designing an LLM-based interview simulator",
                "factual-accuracy": "Factual accuracy in knowledge-heavy systems",
                "scaling-service": "Scaling an LLM service to millions of users",
            },
        ),
        Area(
            "evaluation",
            "Evaluation",
            {
                "automatic-metrics": "BLEU, ROUGE, perplexity and their limits",
                "human-evaluation": "Human evaluation frameworks",
                "task-metrics": "Task-specific success metrics",
                "ab-testing": "A/B testing LLM outputs",
                "offline-online": "Offline vs online evaluation",
            },
        ),
        Area(
            "cost_latency",
            "Cost and latency",
            {
                "inference-cost": "Reducing inference cost",
                "prompt-length": "Optimizing prompt length",
                "model-size": "Choosing model sizes",
                "caching": "Caching responses",
                "quality-latency": "Balancing quality vs latency",
            },
        ),
        Area(
            "safety",
            "Safety",
            {
                "prompt-injection": "Prompt injection and jailbreaks",
                "output-filtering": "Output filtering and moderation",
                "harmful-content": "Sensitive or harmful content",
                "high-stakes-hallucination": "Reducing hallucination in high-stakes settings",
            },
        ),
        Area(
            "communication",
            "Communication",
            {
                "problem-decomposition": "Problem decomposition",
                "tradeoff-analysis": "Trade-off analysis",
                "explaining-simply": "Explaining complex ideas simply",
                "structured-answers": "Structured answers under pressure",
            },
        ),
    )
}

AREA_IDS: tuple[str, ...] = tuple(AREAS)
