import {
  BadRequestException,
  Body,
  Controller,
  DefaultValuePipe,
  Get,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  Query,
} from '@nestjs/common';
import { type Note, NotesService } from './notes.service.js';

const MAX_TEXT_LENGTH = 500;

@Controller('notes')
export class NotesController {
  constructor(private readonly notes: NotesService) {}

  @Get()
  list(@Query('limit', new DefaultValuePipe(20), ParseIntPipe) limit: number): Promise<Note[]> {
    if (limit < 1 || limit > 100) throw new BadRequestException('limit must be between 1 and 100');
    return this.notes.list(limit);
  }

  @Post()
  create(@Body() body: unknown): Promise<Note> {
    const text = (body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT_LENGTH) {
      throw new BadRequestException(`text must be a non-empty string of at most ${MAX_TEXT_LENGTH} characters`);
    }
    return this.notes.create(text.trim());
  }

  @Post(':id/copy')
  async copy(@Param('id', ParseIntPipe) id: number): Promise<Note> {
    const note = await this.notes.copy(id);
    if (!note) throw new NotFoundException(`no note ${id}`);
    return note;
  }
}
